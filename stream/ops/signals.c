/* signals.c -- see signals.h. */
#include "signals.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static atomic_int stop_flag;
static volatile sig_atomic_t first_signal;

static void on_signal(int sig) {
    if (!first_signal) first_signal = sig;
    if (atomic_exchange(&stop_flag, 1)) _exit(SW_EXIT_SECOND_SIGNAL);
}

void sw_signals_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = 0; /* no SA_RESTART: a blocking wait returns EINTR and sees the flag at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

atomic_int *sw_signals_stop_flag(void) { return &stop_flag; }

int sw_signals_received(void) { return first_signal; }

const char *sw_signals_name(int sig) {
    return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
}

void sw_signals_ignore_sigpipe(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, NULL);
}
