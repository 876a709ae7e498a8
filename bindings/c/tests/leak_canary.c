/*
 * A deliberate leak of a dram model: under LeakSanitizer this program must be reported, which
 * proves that the sanitizer run sees allocations made inside the Rust library too.
 *
 * Usage: leak_canary MODEL.onnx
 */
#include <stdio.h>

#include "dram.h"

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  dram_model *model = NULL;
  if (dram_model_load(argv[1], &model) != DRAM_OK) {
    fprintf(stderr, "%s\n", dram_last_error_message());
    return 2;
  }
  model = NULL; /* leaked on purpose */
  return 0;
}
