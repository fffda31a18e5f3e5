/* probe.c -- one forbidden include, for the layer rules in CMakeLists.txt.
 * Built with one layer's include paths and PROBE_HEADER set to a header
 * that layer must not see; the test passes when this fails to compile. */
#include PROBE_HEADER

int sw_layer_probe(void);
int sw_layer_probe(void) { return 0; }
