/*
 * The documented thread-safety: one model and one ranker shared by threads that rank, score,
 * record events and set the context at the same time; error messages stay per thread.
 *
 * Usage: test_threads VECTORS_DIR
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "dram.h"

#define RANKERS 3
#define ROUNDS 40

static dram_ranker *shared_ranker;
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static int failures = 0;

static void fail(const char *what, dram_status status) {
  pthread_mutex_lock(&count_lock);
  failures++;
  fprintf(stderr, "%s: %s: %s\n", what, dram_status_name(status), dram_last_error_message());
  pthread_mutex_unlock(&count_lock);
}

static void *rank_loop(void *arg) {
  (void)arg;
  dram_feature shoes[] = {{"category", dram_value_string("shoes")}, {"price", dram_value_float(49.0)}};
  dram_feature bags[] = {{"category", dram_value_string("bags")}, {"price", dram_value_float(120.0)}};
  dram_candidate candidates[] = {{"3", shoes, 2}, {"25", bags, 2}, {"8", shoes, 2}};
  dram_scored out[3];
  float scores[3];
  size_t len = 0;
  for (int i = 0; i < ROUNDS; i++) {
    dram_status s = dram_ranker_rank(shared_ranker, candidates, 3, out, 3, &len);
    if (s != DRAM_OK || len != 3) fail("rank", s);
    s = dram_ranker_score(shared_ranker, candidates, 3, scores, 3, &len);
    if (s != DRAM_OK || len != 3) fail("score", s);
  }
  return NULL;
}

static void *record_loop(void *arg) {
  (void)arg;
  const char *items[] = {"3", "17", "25", "8"};
  dram_feature context[] = {{"age", dram_value_float(31.0)}, {"device", dram_value_string("android")}};
  for (int i = 0; i < ROUNDS * 2; i++) {
    dram_status s = dram_ranker_record(shared_ranker, items[i % 4], DRAM_EVENT_CLICK, i);
    if (s != DRAM_OK) fail("record", s);
    s = dram_ranker_set_context(shared_ranker, context, 2);
    if (s != DRAM_OK) fail("set_context", s);
  }
  return NULL;
}

/* Fails on purpose; its message must not leak into other threads, nor theirs into it. */
static void *error_loop(void *arg) {
  (void)arg;
  size_t len = 0;
  for (int i = 0; i < ROUNDS; i++) {
    dram_status s = dram_ranker_rank(shared_ranker, NULL, 0, NULL, 0, &len);
    if (s != DRAM_STATUS_INVALID_INPUT || strstr(dram_last_error_message(), "empty") == NULL)
      fail("expected an empty-list error", s);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s VECTORS_DIR\n", argv[0]);
    return 2;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/models/ranker.onnx", argv[1]);
  dram_model *model = NULL;
  CHECK_OK(dram_model_load(path, &model));
  CHECK_OK(dram_ranker_new(model, 20, &shared_ranker));
  dram_model_free(&model);
  dram_feature context[] = {{"age", dram_value_float(31.0)}, {"device", dram_value_string("android")}};
  CHECK_OK(dram_ranker_set_context(shared_ranker, context, 2));

  pthread_t threads[RANKERS + 2];
  for (int i = 0; i < RANKERS; i++) CHECK(pthread_create(&threads[i], NULL, rank_loop, NULL) == 0);
  CHECK(pthread_create(&threads[RANKERS], NULL, record_loop, NULL) == 0);
  CHECK(pthread_create(&threads[RANKERS + 1], NULL, error_loop, NULL) == 0);
  for (int i = 0; i < RANKERS + 2; i++) CHECK(pthread_join(threads[i], NULL) == 0);
  CHECK(failures == 0);
  CHECK(strcmp(dram_last_error_message(), "") == 0);

  size_t len = 0;
  CHECK_OK(dram_ranker_history_len(shared_ranker, &len));
  CHECK(len == 20); /* 80 events recorded into a history of capacity 20 */
  dram_ranker_free(&shared_ranker);
  return check_summary("threads");
}
