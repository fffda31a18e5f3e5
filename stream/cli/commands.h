/* commands.h -- the subcommands main() dispatches to; each parses its own
 * arguments (argv[0] is the subcommand name) and returns the exit status. */
#ifndef SW_COMMANDS_H
#define SW_COMMANDS_H

int sw_cmd_scan(int argc, char **argv);
int sw_cmd_gen(int argc, char **argv);
int sw_cmd_run(int argc, char **argv);
int sw_cmd_mock_broker(int argc, char **argv);
int sw_cmd_replay(int argc, char **argv);
int sw_cmd_repartition(int argc, char **argv);
int sw_cmd_demo(int argc, char **argv);
int sw_cmd_state(int argc, char **argv);
int sw_cmd_config(int argc, char **argv);
int sw_cmd_rules(int argc, char **argv);
/* config print [run|repartition]: the command's settings parsed as the
 * command parses them (cmd_run.c, cmd_repartition.c). */
int sw_run_config_print(int argc, char **argv);
int sw_repartition_config_print(int argc, char **argv);

#endif
