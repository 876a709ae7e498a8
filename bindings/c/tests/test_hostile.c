/*
 * Hostile and careless callers: NULL handles and strings, invalid UTF-8, NaN, empty lists,
 * truncated models and histories, unknown enum values, small buffers, repeated frees. Every
 * one must give a status and a message, never a crash (the ASan run checks memory too).
 *
 * Usage: test_hostile VECTORS_DIR
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "dram.h"
#include "files.h"

static char model_path[4096];
static char classifier_path[4096];
static char temp_dir[] = "/tmp/dram-c-test-XXXXXX";

static dram_model *load(const char *path) {
  dram_model *model = NULL;
  CHECK_OK(dram_model_load(path, &model));
  return model;
}

static dram_ranker *new_ranker(void) {
  dram_model *model = load(model_path);
  dram_ranker *ranker = NULL;
  CHECK_OK(dram_ranker_new(model, 50, &ranker));
  dram_model_free(&model); /* the ranker keeps its own reference */
  dram_feature context[] = {{"age", dram_value_float(31.0)}, {"device", dram_value_string("android")}};
  CHECK_OK(dram_ranker_set_context(ranker, context, 2));
  return ranker;
}

static void test_null_handles_and_out_pointers(void) {
  dram_model *model = (dram_model *)&model; /* garbage that must be reset to NULL */
  dram_ranker *ranker = NULL;
  dram_classifier *classifier = NULL;
  dram_scored out[1];
  dram_label_probability probs[3];
  size_t len = 99;
  const char *label = "x";

  CHECK_STATUS(dram_model_load(NULL, &model), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK(model == NULL);
  CHECK_MESSAGE("`path` is NULL");
  CHECK_STATUS(dram_model_load(model_path, NULL), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(dram_model_load_from_memory(NULL, 10, &model), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(dram_ranker_new(NULL, 50, &ranker), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_MESSAGE("`model` is NULL");
  CHECK_STATUS(dram_ranker_new_with_history_file(NULL, "/tmp/x", 50, &ranker), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(dram_classifier_new(NULL, &classifier), DRAM_STATUS_INVALID_ARGUMENT);
  dram_candidate c = {"3", NULL, 0};
  CHECK_STATUS(dram_ranker_rank(NULL, &c, 1, out, 1, &len), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK(len == 0);
  CHECK_STATUS(dram_ranker_score(NULL, &c, 1, NULL, 0, &len), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(dram_ranker_record(NULL, "3", DRAM_EVENT_VIEW, 0), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(dram_ranker_set_context(NULL, NULL, 0), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(dram_ranker_save_history(NULL, "/tmp/x"), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(dram_ranker_load_history(NULL, "/tmp/x"), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(dram_ranker_clear_history(NULL), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(dram_ranker_history_len(NULL, &len), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(dram_classifier_label_count(NULL, &len), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(dram_classifier_label(NULL, 0, &label), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK(label == NULL);
  CHECK_STATUS(dram_classifier_classify_text(NULL, "hi", probs, 3, &len), DRAM_STATUS_INVALID_ARGUMENT);

  ranker = new_ranker();
  CHECK_STATUS(dram_ranker_rank(ranker, &c, 1, out, 1, NULL), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_MESSAGE("`out_len` is NULL");
  CHECK_STATUS(dram_ranker_rank(ranker, NULL, 3, out, 1, &len), DRAM_STATUS_BUFFER_TOO_SMALL);
  CHECK_STATUS(dram_ranker_rank(ranker, NULL, 1, out, 1, &len), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(dram_ranker_rank(ranker, &c, 1, NULL, 1, &len), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(dram_ranker_history_len(ranker, NULL), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(dram_ranker_set_context(ranker, NULL, 2), DRAM_STATUS_INVALID_ARGUMENT);
  dram_ranker_free(&ranker);
}

static void test_null_and_invalid_strings(void) {
  dram_ranker *ranker = new_ranker();
  dram_scored out[2];
  size_t len = 0;
  dram_feature ok[] = {{"category", dram_value_string("shoes")}, {"price", dram_value_float(10.0)}};
  dram_feature null_name[] = {{NULL, dram_value_string("shoes")}, {"price", dram_value_float(10.0)}};
  dram_feature null_value[] = {{"category", dram_value_string(NULL)}, {"price", dram_value_float(10.0)}};
  dram_feature bad_value[] = {{"category", dram_value_string("\xff\xfe")}, {"price", dram_value_float(10.0)}};
  dram_feature bad_name[] = {{"categ\xc3\x28ory", dram_value_string("shoes")}, {"price", dram_value_float(10.0)}};

  dram_candidate cases[][2] = {
      {{"3", ok, 2}, {NULL, ok, 2}},
      {{"3", ok, 2}, {"\xc3\x28", ok, 2}},     /* invalid 2-byte sequence */
      {{"3", ok, 2}, {"\xed\xa0\x80", ok, 2}}, /* UTF-16 surrogate encoded in UTF-8 */
      {{"3", ok, 2}, {"\xc0\xaf", ok, 2}},     /* overlong encoding */
      {{"3", ok, 2}, {"8", null_name, 2}},
      {{"3", ok, 2}, {"8", null_value, 2}},
      {{"3", ok, 2}, {"8", bad_value, 2}},
      {{"3", ok, 2}, {"8", bad_name, 2}},
      {{"3", ok, 2}, {"8", NULL, 2}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    CHECK_STATUS(dram_ranker_rank(ranker, cases[i], 2, out, 2, &len), DRAM_STATUS_INVALID_ARGUMENT);
    CHECK_MESSAGE("candidates[1]");
  }
  CHECK_STATUS(dram_ranker_record(ranker, NULL, DRAM_EVENT_VIEW, 1), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(dram_ranker_record(ranker, "\xff", DRAM_EVENT_VIEW, 1), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_MESSAGE("UTF-8");
  CHECK_STATUS(dram_ranker_save_history(ranker, NULL), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(dram_ranker_save_history(ranker, ""), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(dram_ranker_load_history(ranker, NULL), DRAM_STATUS_INVALID_ARGUMENT);
  /* The ranker is still usable after all that. */
  dram_candidate good[] = {{"3", ok, 2}};
  CHECK_OK(dram_ranker_rank(ranker, good, 1, out, 2, &len));
  CHECK(len == 1);
  dram_ranker_free(&ranker);
}

static void test_bad_values(void) {
  dram_ranker *ranker = new_ranker();
  dram_scored out[1];
  size_t len = 0;
  double bad_numbers[] = {NAN, INFINITY, -INFINITY};
  for (size_t i = 0; i < 3; i++) {
    dram_feature f[] = {{"category", dram_value_string("shoes")}, {"price", dram_value_float(bad_numbers[i])}};
    dram_candidate c[] = {{"3", f, 2}};
    CHECK_STATUS(dram_ranker_rank(ranker, c, 1, out, 1, &len), DRAM_STATUS_INVALID_INPUT);
    CHECK_MESSAGE("price");
  }
  dram_feature nan_context[] = {{"age", dram_value_float(NAN)}, {"device", dram_value_string("ios")}};
  CHECK_OK(dram_ranker_set_context(ranker, nan_context, 2)); /* values are checked when ranking */
  dram_feature f[] = {{"category", dram_value_string("shoes")}, {"price", dram_value_float(1.0)}};
  dram_candidate c[] = {{"3", f, 2}};
  CHECK_STATUS(dram_ranker_rank(ranker, c, 1, out, 1, &len), DRAM_STATUS_INVALID_INPUT);
  CHECK_MESSAGE("age");

  dram_feature zeroed[2];
  memset(zeroed, 0, sizeof zeroed);
  zeroed[0].name = "age";
  zeroed[1].name = "device";
  CHECK_STATUS(dram_ranker_set_context(ranker, zeroed, 2), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_MESSAGE("kind` is 0");
  dram_feature twice[] = {{"age", dram_value_float(1.0)}, {"age", dram_value_float(2.0)}};
  CHECK_STATUS(dram_ranker_set_context(ranker, twice, 2), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_MESSAGE("twice");
  dram_feature mistyped[] = {{"age", dram_value_string("thirty")}, {"device", dram_value_string("ios")}};
  CHECK_OK(dram_ranker_set_context(ranker, mistyped, 2));
  CHECK_STATUS(dram_ranker_rank(ranker, c, 1, out, 1, &len), DRAM_STATUS_INVALID_INPUT);

  CHECK_STATUS(dram_ranker_record(ranker, "3", -1, 1), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(dram_ranker_record(ranker, "3", 5, 1), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(dram_ranker_record(ranker, "3", 256, 1), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(dram_ranker_record(ranker, "", DRAM_EVENT_VIEW, 1), DRAM_STATUS_INVALID_INPUT);
  char long_key[300];
  memset(long_key, 'x', sizeof long_key - 1);
  long_key[sizeof long_key - 1] = '\0';
  CHECK_STATUS(dram_ranker_record(ranker, long_key, DRAM_EVENT_VIEW, 1), DRAM_STATUS_INVALID_INPUT);
  dram_ranker_free(&ranker);
}

static void test_empty_lists_and_small_buffers(void) {
  dram_ranker *ranker = new_ranker();
  dram_scored out[3];
  float scores[3];
  size_t len = 99;
  CHECK_STATUS(dram_ranker_rank(ranker, NULL, 0, NULL, 0, &len), DRAM_STATUS_INVALID_INPUT);
  CHECK(len == 0);
  CHECK_MESSAGE("empty");
  dram_candidate none[1];
  CHECK_STATUS(dram_ranker_score(ranker, none, 0, scores, 3, &len), DRAM_STATUS_INVALID_INPUT);

  dram_feature f[] = {{"category", dram_value_string("shoes")}, {"price", dram_value_float(1.0)}};
  dram_candidate c[] = {{"3", f, 2}, {"8", f, 2}, {"17", f, 2}};
  out[0].index = 77;
  CHECK_STATUS(dram_ranker_rank(ranker, c, 3, out, 2, &len), DRAM_STATUS_BUFFER_TOO_SMALL);
  CHECK(len == 3);
  CHECK(out[0].index == 77); /* nothing written */
  CHECK_MESSAGE("needed");
  len = 0;
  CHECK_STATUS(dram_ranker_rank(ranker, c, 3, NULL, 0, &len), DRAM_STATUS_BUFFER_TOO_SMALL);
  CHECK(len == 3);
  CHECK_STATUS(dram_ranker_score(ranker, c, 3, scores, 1, &len), DRAM_STATUS_BUFFER_TOO_SMALL);
  CHECK(len == 3);
  CHECK_OK(dram_ranker_rank(ranker, c, 3, out, 3, &len));
  CHECK(len == 3);
  CHECK(strcmp(dram_last_error_message(), "") == 0); /* success clears the message */
  dram_ranker_free(&ranker);

  dram_model *model = load(classifier_path);
  dram_classifier *classifier = NULL;
  CHECK_OK(dram_classifier_new(model, &classifier));
  dram_model_free(&model);
  dram_label_probability probs[3];
  CHECK_STATUS(dram_classifier_classify_text(classifier, "hi", probs, 2, &len), DRAM_STATUS_BUFFER_TOO_SMALL);
  CHECK(len == 3);
  CHECK_STATUS(dram_classifier_classify_text(classifier, "hi", NULL, 0, &len), DRAM_STATUS_BUFFER_TOO_SMALL);
  CHECK_STATUS(dram_classifier_classify_text(classifier, "hi", NULL, 3, &len), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(dram_classifier_classify_text(classifier, NULL, probs, 3, &len), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(dram_classifier_classify_text(classifier, "caf\xe9", probs, 3, &len), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_OK(dram_classifier_classify_text(classifier, "", probs, 3, &len));
  const char *label = NULL;
  CHECK_STATUS(dram_classifier_label(classifier, 3, &label), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(dram_classifier_label(classifier, (size_t)-1, &label), DRAM_STATUS_INVALID_ARGUMENT);
  dram_classifier_free(&classifier);
}

static void test_bad_models(void) {
  size_t len = 0;
  unsigned char *bytes = read_file(model_path, &len);
  dram_model *model = NULL;
  CHECK_STATUS(dram_model_load_from_memory(bytes, 0, &model), DRAM_STATUS_INVALID_ARGUMENT);
  /* Every truncation (in steps, plus the last byte) is an error, never a crash. */
  int all_rejected = 1;
  for (size_t cut = 1; cut < len; cut += (cut < len - 1 && cut + 61 > len - 1) ? len - 1 - cut : 61) {
    dram_status status = dram_model_load_from_memory(bytes, cut, &model);
    if (status == DRAM_OK || model != NULL) {
      all_rejected = 0;
      dram_model_free(&model);
    } else if (status != DRAM_STATUS_INVALID_MODEL) {
      fprintf(stderr, "truncated at %zu: %s\n", cut, dram_status_name(status));
      all_rejected = 0;
    }
  }
  CHECK(all_rejected);
  /* Flipped bytes: an error or (if the byte is unused) a model, but never a crash. */
  for (size_t at = 0; at < len; at += 97) {
    bytes[at] ^= 0xFF;
    dram_status status = dram_model_load_from_memory(bytes, len, &model);
    CHECK(status == DRAM_OK || status == DRAM_STATUS_INVALID_MODEL);
    dram_model_free(&model);
    bytes[at] ^= 0xFF;
  }
  const char garbage[] = "not an onnx model at all";
  CHECK_STATUS(dram_model_load_from_memory((const uint8_t *)garbage, sizeof garbage, &model),
               DRAM_STATUS_INVALID_MODEL);
  CHECK_STATUS(dram_model_load("/no/such/dir/model.onnx", &model), DRAM_STATUS_IO);
  CHECK_MESSAGE("not found");
  CHECK_STATUS(dram_model_load("", &model), DRAM_STATUS_INVALID_ARGUMENT);
  free(bytes);

  /* A model of the wrong task. */
  model = load(classifier_path);
  dram_ranker *ranker = NULL;
  CHECK_STATUS(dram_ranker_new(model, 10, &ranker), DRAM_STATUS_INVALID_MODEL);
  CHECK(ranker == NULL);
  dram_model_free(&model);
  model = load(model_path);
  dram_classifier *classifier = NULL;
  CHECK_STATUS(dram_classifier_new(model, &classifier), DRAM_STATUS_INVALID_MODEL);
  CHECK(classifier == NULL);
  CHECK_STATUS(dram_ranker_new(model, 0, &ranker), DRAM_STATUS_INVALID_INPUT);
  CHECK_STATUS(dram_ranker_new(model, 100001, &ranker), DRAM_STATUS_INVALID_INPUT);
  dram_model_free(&model);
}

static void write_file(const char *path, const void *bytes, size_t len) {
  FILE *f = fopen(path, "wb");
  fwrite(bytes, 1, len, f);
  fclose(f);
}

static void test_history_files(void) {
  char path[4200], missing[4200], corrupt[4200];
  snprintf(path, sizeof path, "%s/history.bin", temp_dir);
  snprintf(missing, sizeof missing, "%s/missing.bin", temp_dir);
  snprintf(corrupt, sizeof corrupt, "%s/corrupt.bin", temp_dir);
  dram_ranker *ranker = new_ranker();
  size_t len = 0;
  CHECK_OK(dram_ranker_record(ranker, "17", DRAM_EVENT_CLICK, 1700000000000));
  CHECK_OK(dram_ranker_record(ranker, "25", DRAM_EVENT_PURCHASE, 1700000000001));
  CHECK_OK(dram_ranker_save_history(ranker, path));
  CHECK_OK(dram_ranker_clear_history(ranker));
  CHECK_OK(dram_ranker_history_len(ranker, &len));
  CHECK(len == 0);
  CHECK_OK(dram_ranker_load_history(ranker, path));
  CHECK_OK(dram_ranker_history_len(ranker, &len));
  CHECK(len == 2);
  CHECK_STATUS(dram_ranker_load_history(ranker, missing), DRAM_STATUS_IO);
  CHECK_STATUS(dram_ranker_save_history(ranker, "/no/such/dir/history.bin"), DRAM_STATUS_IO);

  size_t size = 0;
  unsigned char *bytes = read_file(path, &size);
  write_file(corrupt, bytes, size - 3); /* truncated */
  CHECK_STATUS(dram_ranker_load_history(ranker, corrupt), DRAM_STATUS_CORRUPT_HISTORY);
  bytes[size / 2] ^= 0x55; /* checksum mismatch */
  write_file(corrupt, bytes, size);
  CHECK_STATUS(dram_ranker_load_history(ranker, corrupt), DRAM_STATUS_CORRUPT_HISTORY);
  free(bytes);
  CHECK_OK(dram_ranker_history_len(ranker, &len));
  CHECK(len == 2); /* failed loads keep the history */
  dram_ranker_free(&ranker);

  dram_model *model = load(model_path);
  CHECK_OK(dram_ranker_new_with_history_file(model, path, 5, &ranker));
  CHECK_OK(dram_ranker_history_len(ranker, &len));
  CHECK(len == 2);
  dram_ranker_free(&ranker);
  CHECK_OK(dram_ranker_new_with_history_file(model, missing, 5, &ranker));
  CHECK_OK(dram_ranker_history_len(ranker, &len));
  CHECK(len == 0);
  dram_ranker_free(&ranker);
  CHECK_STATUS(dram_ranker_new_with_history_file(model, corrupt, 5, &ranker), DRAM_STATUS_CORRUPT_HISTORY);
  CHECK(ranker == NULL);
  CHECK_STATUS(dram_ranker_new_with_history_file(model, missing, 0, &ranker), DRAM_STATUS_INVALID_INPUT);
  dram_model_free(&model);
  unlink(path);
  unlink(corrupt);
}

static void test_frees(void) {
  /* The _free functions take the handle's address and reset it: a second free through the
   * same variable is a no-op, as are NULL and a pointer to NULL. */
  dram_model *model = load(model_path);
  dram_model_free(&model);
  CHECK(model == NULL);
  dram_model_free(&model);
  dram_model_free(NULL);
  dram_ranker *ranker = new_ranker();
  dram_ranker_free(&ranker);
  CHECK(ranker == NULL);
  dram_ranker_free(&ranker);
  dram_ranker_free(NULL);
  dram_classifier *classifier = NULL;
  dram_classifier_free(&classifier);
  dram_classifier_free(NULL);
  CHECK(strcmp(dram_status_name(DRAM_STATUS_BUFFER_TOO_SMALL), "DRAM_STATUS_BUFFER_TOO_SMALL") == 0);
  CHECK(strcmp(dram_status_name(-5), "DRAM_STATUS_UNKNOWN") == 0);
  CHECK(dram_version() != NULL && strlen(dram_version()) > 0);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s VECTORS_DIR\n", argv[0]);
    return 2;
  }
  snprintf(model_path, sizeof model_path, "%s/models/ranker.onnx", argv[1]);
  snprintf(classifier_path, sizeof classifier_path, "%s/models/classifier.onnx", argv[1]);
  if (!mkdtemp(temp_dir)) {
    perror("mkdtemp");
    return 2;
  }
  test_null_handles_and_out_pointers();
  test_null_and_invalid_strings();
  test_bad_values();
  test_empty_lists_and_small_buffers();
  test_bad_models();
  test_history_files();
  test_frees();
  rmdir(temp_dir);
  return check_summary("hostile");
}
