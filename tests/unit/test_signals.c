/* test_signals.c -- pins the stop helper every long-running command uses
 * (stream/ops/signals.c): the first SIGINT or SIGTERM only sets the stop
 * flag and is remembered, a second one exits at once with status 130, and
 * SIGPIPE can be ignored.  Each case runs in a child process, so the
 * handlers never touch the test runner. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "signals.h"

/* Runs f in a child; its exit status (128 + signal if killed). */
static int in_child(int (*f)(void)) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) _exit(f());
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* 0 when the first signal sets the flag and names itself, then raises a
 * second one (which must not return). */
static int first_then_second(int sig) {
    sw_signals_install();
    if (atomic_load(sw_signals_stop_flag()) || sw_signals_received()) return 10;
    raise(sig);
    if (!atomic_load(sw_signals_stop_flag())) return 11;
    if (sw_signals_received() != sig) return 12;
    if (strcmp(sw_signals_name(sig), sig == SIGINT ? "SIGINT" : "SIGTERM") != 0) return 13;
    raise(sig == SIGINT ? SIGTERM : SIGINT); /* the other one counts as a second signal too */
    return 14;
}
static int term_case(void) { return first_then_second(SIGTERM); }
static int int_case(void) { return first_then_second(SIGINT); }

static void test_second_signal_exits_130(void **state) {
    (void)state;
    assert_int_equal(in_child(term_case), SW_EXIT_SECOND_SIGNAL);
    assert_int_equal(in_child(int_case), SW_EXIT_SECOND_SIGNAL);
}

static int pipe_case(void) {
    sw_signals_ignore_sigpipe();
    int p[2];
    if (pipe(p) != 0) return 20;
    close(p[0]);
    return write(p[1], "x", 1) < 0 ? 0 : 21; /* EPIPE, not death by SIGPIPE */
}

static void test_sigpipe_ignored(void **state) {
    (void)state;
    assert_int_equal(in_child(pipe_case), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_second_signal_exits_130),
        cmocka_unit_test(test_sigpipe_ignored),
    };
    return cmocka_run_group_tests_name("signals", tests, NULL, NULL);
}
