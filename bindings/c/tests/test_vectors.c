/*
 * The shared test vectors (the JSON files in tests/vectors) through the C API: the same inputs must give
 * the same ranking, scores and probabilities (within the vectors' tolerance) and the same
 * errors as in the Rust, Kotlin and Swift suites.
 *
 * Usage: test_vectors VECTORS_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dram.h"
#include "files.h"
#include "json.h"

static const char *vectors_dir;

static char *vector_path(const char *name) { return join_path(vectors_dir, name); }

static dram_status status_of(const char *name) {
  if (strcmp(name, "invalid_argument") == 0) return DRAM_STATUS_INVALID_ARGUMENT;
  if (strcmp(name, "io") == 0) return DRAM_STATUS_IO;
  if (strcmp(name, "invalid_model") == 0) return DRAM_STATUS_INVALID_MODEL;
  if (strcmp(name, "invalid_input") == 0) return DRAM_STATUS_INVALID_INPUT;
  if (strcmp(name, "corrupt_history") == 0) return DRAM_STATUS_CORRUPT_HISTORY;
  if (strcmp(name, "runtime") == 0) return DRAM_STATUS_RUNTIME;
  fprintf(stderr, "unknown expected_error \"%s\"\n", name);
  exit(1);
}

static int32_t event_kind_of(const char *name) {
  static const char *const names[] = {"view", "click", "add_to_cart", "purchase", "wishlist"};
  static const dram_event_kind kinds[] = {DRAM_EVENT_VIEW, DRAM_EVENT_CLICK, DRAM_EVENT_ADD_TO_CART,
                                          DRAM_EVENT_PURCHASE, DRAM_EVENT_WISHLIST};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(name, names[i]) == 0) return kinds[i];
  fprintf(stderr, "unknown event kind \"%s\"\n", name);
  exit(1);
}

/* {"int": 3} | {"float": 1.5} | {"float": "nan"} | {"str": "x"}; strings borrow from the JSON. */
static dram_value value_of(const json *v) {
  const json *x;
  if ((x = json_get(v, "int")) != NULL) return dram_value_int((int64_t)x->number);
  if ((x = json_get(v, "str")) != NULL) return dram_value_string(x->string);
  x = json_get(v, "float");
  if (x && x->type == JSON_STRING) return dram_value_float(strtod(x->string, NULL));
  if (x && x->type == JSON_NUMBER) return dram_value_float(x->number);
  fprintf(stderr, "test vectors: a value is neither int, float nor str\n");
  exit(1);
}

/* The members of a JSON object as dram features (malloc'ed; strings borrow from the JSON). */
static dram_feature *features_of(const json *object) {
  dram_feature *features = malloc((object->count ? object->count : 1) * sizeof *features);
  for (size_t i = 0; i < object->count; i++) {
    features[i].name = object->keys[i];
    features[i].value = value_of(&object->items[i]);
  }
  return features;
}

static void run_case(const dram_model *model, const json *c, double tolerance) {
  const char *name = json_expect(c, "name", JSON_STRING)->string;
  const json *context = json_expect(c, "context", JSON_OBJECT);
  const json *events = json_expect(c, "events", JSON_ARRAY);
  const json *cands = json_expect(c, "candidates", JSON_ARRAY);
  const json *expected_error = json_get(c, "expected_error");
  size_t n = cands->count;
  int failed_before = check_failed;

  dram_ranker *ranker = NULL;
  CHECK_OK(dram_ranker_new(model, (size_t)json_expect(c, "history_capacity", JSON_NUMBER)->number, &ranker));
  dram_feature *context_features = features_of(context);
  CHECK_OK(dram_ranker_set_context(ranker, context_features, context->count));
  for (size_t i = 0; i < events->count; i++) {
    const json *e = &events->items[i];
    CHECK_OK(dram_ranker_record(ranker, json_expect(e, "item", JSON_STRING)->string,
                                event_kind_of(json_expect(e, "kind", JSON_STRING)->string),
                                (int64_t)json_expect(e, "timestamp_ms", JSON_NUMBER)->number));
  }

  dram_candidate *candidates = malloc((n ? n : 1) * sizeof *candidates);
  for (size_t i = 0; i < n; i++) {
    const json *features = json_expect(&cands->items[i], "features", JSON_OBJECT);
    candidates[i].item = json_expect(&cands->items[i], "item", JSON_STRING)->string;
    candidates[i].features = features_of(features);
    candidates[i].feature_count = features->count;
  }
  dram_scored *ranked = malloc((n ? n : 1) * sizeof *ranked);
  float *scores = malloc((n ? n : 1) * sizeof *scores);
  size_t len = 12345;

  if (expected_error) {
    dram_status want = status_of(expected_error->string);
    CHECK_STATUS(dram_ranker_rank(ranker, candidates, n, ranked, n, &len), want);
    CHECK(len == 0);
    CHECK(strlen(dram_last_error_message()) > 0);
    CHECK_STATUS(dram_ranker_score(ranker, candidates, n, scores, n, &len), want);
  } else {
    const json *expected = json_expect(c, "expected", JSON_OBJECT);
    const json *ranking = json_expect(expected, "ranking", JSON_ARRAY);
    const json *want_scores = json_expect(expected, "scores", JSON_ARRAY);
    CHECK_OK(dram_ranker_rank(ranker, candidates, n, ranked, n, &len));
    CHECK(len == n && ranking->count == n);
    for (size_t i = 0; i < len && i < ranking->count; i++) {
      CHECK(ranked[i].index < n);
      if (ranked[i].index >= n) continue;
      CHECK(strcmp(candidates[ranked[i].index].item, ranking->items[i].string) == 0);
      CHECK_NEAR(ranked[i].score, want_scores->items[ranked[i].index].number, tolerance);
    }
    CHECK_OK(dram_ranker_score(ranker, candidates, n, scores, n, &len));
    CHECK(len == n);
    for (size_t i = 0; i < len; i++) CHECK_NEAR(scores[i], want_scores->items[i].number, tolerance);
  }
  if (check_failed != failed_before) fprintf(stderr, "  ... in case \"%s\"\n", name);

  for (size_t i = 0; i < n; i++) free((void *)candidates[i].features);
  free(candidates);
  free(ranked);
  free(scores);
  free(context_features);
  dram_ranker_free(&ranker);
  CHECK(ranker == NULL);
}

static void run_ranking_vectors(const char *file) {
  char *path = vector_path(file);
  json *vectors = json_read_file(path);
  char *model_path = vector_path(json_expect(vectors, "model", JSON_STRING)->string);
  double tolerance = json_expect(vectors, "tolerance", JSON_NUMBER)->number;
  const json *cases = json_expect(vectors, "cases", JSON_ARRAY);

  dram_model *model = NULL;
  CHECK_OK(dram_model_load(model_path, &model));
  if (model) {
    for (size_t i = 0; i < cases->count; i++) run_case(model, &cases->items[i], tolerance);
  }
  dram_model_free(&model);
  printf("%s: %zu cases\n", file, cases->count);
  free(model_path);
  free(path);
  json_free(vectors);
}

static void run_classifier_vectors(const char *file) {
  char *path = vector_path(file);
  json *vectors = json_read_file(path);
  char *model_path = vector_path(json_expect(vectors, "model", JSON_STRING)->string);
  double tolerance = json_expect(vectors, "tolerance", JSON_NUMBER)->number;
  const json *labels = json_expect(vectors, "labels", JSON_ARRAY);
  const json *cases = json_expect(vectors, "cases", JSON_ARRAY);

  /* From memory, as an app loads a bundled asset; the bytes can go right after loading. */
  size_t size = 0;
  unsigned char *bytes = read_file(model_path, &size);
  dram_model *model = NULL;
  CHECK_OK(dram_model_load_from_memory(bytes, size, &model));
  free(bytes);
  dram_classifier *classifier = NULL;
  CHECK_OK(dram_classifier_new(model, &classifier));
  dram_model_free(&model);

  size_t count = 0;
  CHECK_OK(dram_classifier_label_count(classifier, &count));
  CHECK(count == labels->count);
  for (size_t i = 0; i < count && i < labels->count; i++) {
    const char *label = NULL;
    CHECK_OK(dram_classifier_label(classifier, i, &label));
    CHECK(label != NULL && strcmp(label, labels->items[i].string) == 0);
  }

  dram_label_probability *out = malloc((count ? count : 1) * sizeof *out);
  for (size_t i = 0; i < cases->count; i++) {
    const json *c = &cases->items[i];
    const json *want = json_expect(c, "probabilities", JSON_ARRAY);
    size_t len = 0;
    CHECK_OK(dram_classifier_classify_text(classifier, json_expect(c, "text", JSON_STRING)->string, out,
                                           count, &len));
    CHECK(len == count);
    double sum = 0;
    for (size_t k = 0; k < len; k++) {
      CHECK(out[k].label_index < want->count);
      if (out[k].label_index >= want->count) continue;
      CHECK_NEAR(out[k].probability, want->items[out[k].label_index].number, tolerance);
      if (k > 0) CHECK(out[k - 1].probability >= out[k].probability);
      sum += out[k].probability;
    }
    CHECK_NEAR(sum, 1.0, 1e-5);
  }
  printf("%s: %zu cases\n", file, cases->count);
  free(out);
  dram_classifier_free(&classifier);
  free(model_path);
  free(path);
  json_free(vectors);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s VECTORS_DIR\n", argv[0]);
    return 2;
  }
  vectors_dir = argv[1];
  printf("dram %s\n", dram_version());
  run_ranking_vectors("ranker.json");
  run_ranking_vectors("ranker_din.json");
  run_classifier_vectors("classifier.json");
  run_classifier_vectors("classifier_word_pieces.json");
  return check_summary("vectors");
}
