/* cli.c -- see cli.h. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sw_cli_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "sessionwatch %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'sessionwatch %s --help')\n", cmd);
    return 2;
}

int sw_cli_open_input(const char *cmd, const char *file) {
    int fd = strcmp(file, "-") == 0 ? 0 : open(file, O_RDONLY);
    if (fd < 0) fprintf(stderr, "sessionwatch %s: cannot open %s: %s\n", cmd, file, strerror(errno));
    return fd;
}

void sw_cli_close_input(const char *file, int fd) {
    if (strcmp(file, "-") != 0) close(fd);
}

bool sw_cli_parse_ended(int rc, void (*usage)(FILE *out), sw_settings *st, int *exit_status) {
    if (rc == SW_PARSE_OK) return false;
    if (rc == SW_PARSE_HELP) usage(stdout);
    sw_settings_free(st);
    *exit_status = rc == SW_PARSE_HELP ? 0 : rc;
    return true;
}

void sw_cli_print_effective(const char *cmd, const sw_settings *st) {
    printf("; sessionwatch %s: effective settings (flag > environment > config file > default)\n", cmd);
    if (sw_settings_file(st)) printf("; config file: %s\n", sw_settings_file(st));
    sw_settings_print(st, stdout);
}

/* stat of a path, or of stdin/stdout for "-"/NULL; false when there is none. */
static bool stat_of(const char *path, int std_fd, struct stat *st) {
    return path && strcmp(path, "-") != 0 ? stat(path, st) == 0 : fstat(std_fd, st) == 0;
}

int sw_cli_output_not_input(const char *cmd, const char *out_flag, const char *out, char *const *inputs,
                            int ninputs) {
    struct stat o, in;
    if (!stat_of(out, 1, &o)) return 0; /* not there yet: not an input either */
    /* A terminal, pipe or /dev/null on both sides is not one file's bytes. */
    if (!S_ISREG(o.st_mode)) return 0;
    for (int i = 0; i < ninputs; i++) {
        if (!stat_of(inputs[i], 0, &in) || in.st_dev != o.st_dev || in.st_ino != o.st_ino) continue;
        const char *in_name = strcmp(inputs[i], "-") == 0 ? "stdin" : inputs[i];
        if (out) return sw_cli_error(cmd, "%s %s is also the input %s: writing it would destroy that input; "
                                          "write to another file", out_flag, out, in_name);
        return sw_cli_error(cmd, "stdout is the input %s: writing alerts there would destroy that input; "
                                 "redirect stdout to another file", in_name);
    }
    return 0;
}

int sw_arg_value(sw_args *a, const char *name, const char **val) {
    const char *arg = a->argv[a->i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0) return 0;
    if (arg[n] == '=') {
        *val = arg + n + 1;
        a->i++;
        return 1;
    }
    if (arg[n] != '\0') return 0;
    if (a->i + 1 >= a->argc) {
        sw_cli_error(a->cmd, "%s needs a value", name);
        return -1;
    }
    *val = a->argv[a->i + 1];
    a->i += 2;
    return 1;
}

int sw_arg_flag(sw_args *a, const char *name) {
    if (strcmp(a->argv[a->i], name) != 0) return 0;
    a->i++;
    return 1;
}
