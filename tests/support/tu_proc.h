/* tu_proc.h -- child processes for the tests: the one place that forks,
 * wires a child's standard streams, waits with a bound and kills by pid.
 *
 * Every child started here is remembered until it is reaped, so that a
 * failed assertion (which leaves the test function half-way) does not leave
 * processes behind: a teardown calls tu_proc_kill_all().  Plain POSIX and
 * no cmocka, so that testutil.c's Redis and Sentinel starters use it too;
 * failures are returned, the caller asserts. */
#ifndef SW_TEST_PROC_H
#define SW_TEST_PROC_H

#include <sys/types.h>

/* What a child's stdin, stdout or stderr is: a file descriptor of the
 * caller's (dup'ed onto it; open the caller's other ends O_CLOEXEC so that
 * the child does not hold them), or one of these. */
#define TU_DEVNULL (-1) /* /dev/null */
#define TU_INHERIT (-2) /* the test's own */

/* Starts argv[0] (looked up in PATH unless it holds a '/') with argv
 * (NULL-terminated), stdin on in, stdout on out and stderr on err.
 * The pid, or -1 when fork fails; a program that cannot be executed exits
 * 127. */
pid_t tu_spawn(const char *const *argv, int in, int out, int err);

/* The same for the sessionwatch binary under test: argv holds its
 * arguments only (argv[0] is the subcommand), at most 62. */
pid_t tu_spawn_sw(const char *const *argv, int in, int out, int err);

/* The exit status of pid (128 + signal when killed) once it has ended;
 * -1 if it is still running after timeout_ms (then it is left running).
 * A negative timeout_ms waits as long as it takes. */
int tu_wait(pid_t pid, int timeout_ms);

/* Sends sig, then waits at most timeout_ms; a child still running then is
 * killed with SIGKILL and reaped.  The exit status as tu_wait's, or -1 when
 * it had to be killed. */
int tu_stop(pid_t pid, int sig, int timeout_ms);

/* SIGKILL (a crash: nothing is flushed), then reaps it. */
void tu_kill(pid_t pid);

/* A child of this process (no exec) that writes to the parent through a
 * pipe: returns 0 in the child with *fd the pipe's write end, the child's
 * pid in the parent with *fd the read end (each side's other end closed),
 * -1 on failure.  The caller reaps it (waitpid): tu_proc_kill_all does not
 * know it. */
pid_t tu_fork_writer(int *fd);

/* Kills and reaps every child started here and not yet reaped. */
void tu_proc_kill_all(void);

#endif
