/*
 * Ranking products for one user with dram's C API: load a model, keep the user's history in a
 * file, record what they do, and rank candidates with their features.
 *
 * Build (from the repository root, after `cargo build --release -p dram-c`):
 *   cc -Wall -Wextra -std=c11 -I bindings/c/include examples/c/rank.c \
 *      -L target/release -ldram -Wl,-rpath,"$PWD/target/release" -o rank
 * Run with the test fixture model (features: context age, device; candidate category, price):
 *   ./rank tests/vectors/models/ranker.onnx /tmp/history.bin
 *
 * Or link statically: replace `-L target/release -ldram ...` with
 *   target/release/libdram.a -lpthread -ldl -lm
 */
#include <stdio.h>

#include "dram.h"

/* Prints the failed call and dram's explanation; returns non-zero on failure. */
static int failed(dram_status status, const char *call) {
  if (status == DRAM_OK) return 0;
  fprintf(stderr, "%s failed: %s: %s\n", call, dram_status_name(status), dram_last_error_message());
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s MODEL.onnx HISTORY_FILE\n", argv[0]);
    return 2;
  }
  const char *model_path = argv[1];
  const char *history_path = argv[2];
  int exit_code = 1;

  /* Every handle starts NULL so that the cleanup below is always safe. */
  dram_model *model = NULL;
  dram_ranker *ranker = NULL;

  if (failed(dram_model_load(model_path, &model), "dram_model_load")) goto cleanup;
  /* The user's saved history, or an empty one holding up to 50 events on first launch. */
  if (failed(dram_ranker_new_with_history_file(model, history_path, 50, &ranker), "dram_ranker_new")) goto cleanup;

  /* What the user just did: they opened product 17 and bought product 25. */
  if (failed(dram_ranker_record(ranker, "17", DRAM_EVENT_VIEW, 1700000000000), "dram_ranker_record")) goto cleanup;
  if (failed(dram_ranker_record(ranker, "25", DRAM_EVENT_PURCHASE, 1700000060000), "dram_ranker_record")) goto cleanup;

  /* Request context: the same for every candidate of the next calls. */
  dram_feature context[] = {
      {"age", dram_value_float(31.0)},
      {"device", dram_value_string("android")},
  };
  if (failed(dram_ranker_set_context(ranker, context, 2), "dram_ranker_set_context")) goto cleanup;

  /* The candidates, with their item keys and features. dram only borrows these arrays. */
  dram_feature shoes[] = {{"category", dram_value_string("shoes")}, {"price", dram_value_float(49.0)}};
  dram_feature dress[] = {{"category", dram_value_string("dresses")}, {"price", dram_value_float(89.5)}};
  dram_feature hat[] = {{"category", dram_value_string("hats")}, {"price", dram_value_float(9.99)}};
  dram_candidate candidates[] = {
      {"3", shoes, 2},
      {"17", dress, 2},
      {"39", hat, 2},
  };
  const size_t count = sizeof candidates / sizeof candidates[0];

  /* One output slot per candidate; DRAM_STATUS_BUFFER_TOO_SMALL would tell how many. */
  dram_scored ranked[3];
  size_t ranked_len = 0;
  if (failed(dram_ranker_rank(ranker, candidates, count, ranked, 3, &ranked_len), "dram_ranker_rank")) goto cleanup;
  printf("ranking for this user (dram %s):\n", dram_version());
  for (size_t i = 0; i < ranked_len; i++) {
    printf("  %zu. item %-3s score %+.4f\n", i + 1, candidates[ranked[i].index].item, ranked[i].score);
  }

  /* Persist the history (atomically) for the next launch. */
  if (failed(dram_ranker_save_history(ranker, history_path), "dram_ranker_save_history")) goto cleanup;
  exit_code = 0;

cleanup:
  /* The _free functions accept NULL and reset the handle to NULL. */
  dram_ranker_free(&ranker);
  dram_model_free(&model);
  return exit_code;
}
