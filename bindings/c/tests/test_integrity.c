/*
 * Verified loading (tests/vectors/signature.json) and the size limits, through the C API:
 * signed models load with the trusted key only; unsigned, tampered and foreign-signed files
 * and malformed keys are statuses with messages; oversized candidate lists and empty keys are
 * refused without crashing (the ASan run checks memory too).
 *
 * Usage: test_integrity VECTORS_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dram.h"
#include "files.h"
#include "json.h"

static char vectors_dir[4096];

/* A file of the vectors directory. */
static unsigned char *read_vector(const char *name, size_t *len) {
  char *path = join_path(vectors_dir, name);
  unsigned char *bytes = read_file(path, len);
  free(path);
  return bytes;
}

/* 64 hex digits to 32 bytes. */
static void parse_key(const char *hex, uint8_t out[32]) {
  CHECK(strlen(hex) == 64);
  for (size_t i = 0; i < 32; i++) {
    unsigned byte = 0;
    CHECK(sscanf(hex + 2 * i, "%2x", &byte) == 1);
    out[i] = (uint8_t)byte;
  }
}

static void test_verified_loading(void) {
  char path[8192];
  snprintf(path, sizeof path, "%s/signature.json", vectors_dir);
  json *v = json_read_file(path);
  uint8_t trusted[32], other[32];
  parse_key(json_expect(v, "public_key", JSON_STRING)->string, trusted);
  parse_key(json_expect(v, "other_public_key", JSON_STRING)->string, other);
  size_t signed_len = 0, unsigned_len = 0, tampered_len = 0;
  unsigned char *signed_bytes = read_vector(json_expect(v, "signed", JSON_STRING)->string, &signed_len);
  unsigned char *unsigned_bytes = read_vector(json_expect(v, "unsigned", JSON_STRING)->string, &unsigned_len);
  unsigned char *tampered = read_vector(json_expect(v, "tampered", JSON_STRING)->string, &tampered_len);

  dram_model *model = NULL;
  CHECK_OK(dram_model_load_verified(signed_bytes, signed_len, trusted, 32, &model));
  CHECK(model != NULL);
  dram_model_free(&model);

  CHECK_STATUS(dram_model_load_verified(unsigned_bytes, unsigned_len, trusted, 32, &model), DRAM_STATUS_INVALID_MODEL);
  CHECK_MESSAGE("not signed");
  CHECK_STATUS(dram_model_load_verified(tampered, tampered_len, trusted, 32, &model), DRAM_STATUS_INVALID_MODEL);
  CHECK_MESSAGE("modified after signing");
  CHECK_STATUS(dram_model_load_verified(signed_bytes, signed_len, other, 32, &model), DRAM_STATUS_INVALID_MODEL);
  CHECK_MESSAGE("signed by public key");
  CHECK(model == NULL);
  CHECK_STATUS(dram_model_load_verified(signed_bytes, signed_len, trusted, 31, &model), DRAM_STATUS_INVALID_INPUT);
  CHECK_MESSAGE("expected 32 bytes");
  CHECK_STATUS(dram_model_load_verified(signed_bytes, signed_len, NULL, 32, &model), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(dram_model_load_verified(signed_bytes, 0, trusted, 32, &model), DRAM_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(dram_model_load_verified(signed_bytes, signed_len, trusted, 32, NULL), DRAM_STATUS_INVALID_ARGUMENT);
  /* Every 13th byte flipped: never accepted, never a crash. */
  int accepted = 0;
  for (size_t at = 0; at < signed_len; at += 13) {
    signed_bytes[at] ^= 0xFF;
    if (dram_model_load_verified(signed_bytes, signed_len, trusted, 32, &model) == DRAM_OK) accepted++;
    dram_model_free(&model);
    signed_bytes[at] ^= 0xFF;
  }
  CHECK(accepted == 0);
  free(signed_bytes);
  free(unsigned_bytes);
  free(tampered);
  json_free(v);
}

static void test_huge_lists_and_empty_strings(void) {
  char path[8192];
  snprintf(path, sizeof path, "%s/models/ranker.onnx", vectors_dir);
  dram_model *model = NULL;
  CHECK_OK(dram_model_load(path, &model));
  dram_ranker *ranker = NULL;
  CHECK_OK(dram_ranker_new(model, 10, &ranker));
  dram_model_free(&model);
  dram_feature context[] = {{"age", dram_value_float(31.0)}, {"device", dram_value_string("android")}};
  CHECK_OK(dram_ranker_set_context(ranker, context, 2));

  /* One more candidate than a call accepts: refused before any scoring. */
  size_t count = 65537;
  dram_feature f[] = {{"category", dram_value_string("shoes")}, {"price", dram_value_float(10.0)}};
  dram_candidate *many = malloc(count * sizeof *many);
  dram_scored *out = malloc(count * sizeof *out);
  for (size_t i = 0; i < count; i++) many[i] = (dram_candidate){"3", f, 2};
  size_t len = 0;
  CHECK_STATUS(dram_ranker_rank(ranker, many, count, out, count, &len), DRAM_STATUS_INVALID_INPUT);
  CHECK_MESSAGE("65536");
  /* The limit itself works. */
  CHECK_OK(dram_ranker_rank(ranker, many, count - 1, out, count, &len));
  CHECK(len == count - 1);
  free(many);
  free(out);

  /* Empty strings: an empty category is a valid (hashed) string; an empty key is not an
     integer id for this model's categorical item feature; an empty feature name leaves the
     real feature missing. */
  dram_scored one[1];
  dram_feature empty_value[] = {{"category", dram_value_string("")}, {"price", dram_value_float(10.0)}};
  dram_candidate empty_category[] = {{"3", empty_value, 2}};
  CHECK_OK(dram_ranker_rank(ranker, empty_category, 1, one, 1, &len));
  dram_candidate empty_item[] = {{"", empty_value, 2}};
  CHECK_STATUS(dram_ranker_rank(ranker, empty_item, 1, one, 1, &len), DRAM_STATUS_INVALID_INPUT);
  CHECK_MESSAGE("item");
  dram_feature empty_name[] = {{"", dram_value_string("shoes")}, {"price", dram_value_float(10.0)}};
  dram_candidate unnamed[] = {{"3", empty_name, 2}};
  CHECK_STATUS(dram_ranker_rank(ranker, unnamed, 1, one, 1, &len), DRAM_STATUS_INVALID_INPUT);
  CHECK_MESSAGE("category");
  dram_ranker_free(&ranker);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s VECTORS_DIR\n", argv[0]);
    return 2;
  }
  snprintf(vectors_dir, sizeof vectors_dir, "%s", argv[1]);
  test_verified_loading();
  test_huge_lists_and_empty_strings();
  return check_summary("integrity");
}
