/* tu_proc.c -- see tu_proc.h.  The table of live children is a fixed
 * array: the tests run at most a handful of processes at once. */
#include "tu_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t live[32];

static void live_add(pid_t pid) {
    for (size_t i = 0; i < sizeof live / sizeof live[0]; i++)
        if (!live[i]) {
            live[i] = pid;
            return;
        }
}

static void live_del(pid_t pid) {
    for (size_t i = 0; i < sizeof live / sizeof live[0]; i++)
        if (live[i] == pid) live[i] = 0;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* In the child: fd `to` becomes `from` (a descriptor, TU_DEVNULL or
 * TU_INHERIT). */
static void wire(int from, int to, int devnull) {
    if (from == TU_INHERIT || from == to) return;
    dup2(from == TU_DEVNULL ? devnull : from, to);
}

pid_t tu_spawn(const char *const *argv, int in, int out, int err) {
    fflush(NULL); /* nothing buffered is written twice */
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        wire(in, 0, devnull);
        wire(out, 1, devnull);
        wire(err, 2, devnull);
        if (devnull > 2) close(devnull);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    live_add(pid);
    return pid;
}

pid_t tu_spawn_sw(const char *const *argv, int in, int out, int err) {
    const char *args[64] = {SW_BINARY};
    size_t n = 1;
    for (; argv[n - 1] && n < 63; n++) args[n] = argv[n - 1];
    args[n] = NULL;
    return tu_spawn(args, in, out, err);
}

pid_t tu_fork_writer(int *fd) {
    int p[2];
    if (pipe(p) != 0) return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    close(pid == 0 ? p[0] : p[1]);
    *fd = pid == 0 ? p[1] : p[0];
    return pid;
}

static int exit_status(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st); }

int tu_wait(pid_t pid, int timeout_ms) {
    int st = 0;
    if (timeout_ms < 0) {
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) continue;
        live_del(pid);
        return exit_status(st);
    }
    for (int waited = 0; waitpid(pid, &st, WNOHANG) == 0; waited += 20) {
        if (waited >= timeout_ms) return -1;
        sleep_ms(20);
    }
    live_del(pid);
    return exit_status(st);
}

void tu_kill(pid_t pid) {
    if (pid <= 0) return;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    live_del(pid);
}

int tu_stop(pid_t pid, int sig, int timeout_ms) {
    kill(pid, sig);
    int st = tu_wait(pid, timeout_ms);
    if (st < 0) tu_kill(pid);
    return st;
}

void tu_proc_kill_all(void) {
    for (size_t i = 0; i < sizeof live / sizeof live[0]; i++)
        if (live[i]) tu_kill(live[i]);
}
