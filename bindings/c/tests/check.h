/*
 * Assertions for the C tests: each failure prints where and why (with dram's last error
 * message) and counts; main() returns check_summary(), which prints "N passed, N failed".
 */
#ifndef DRAM_TEST_CHECK_H
#define DRAM_TEST_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dram.h"

static int check_passed = 0;
static int check_failed = 0;

#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (cond) {                                                                       \
      check_passed++;                                                                 \
    } else {                                                                          \
      check_failed++;                                                                 \
      fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);        \
    }                                                                                 \
  } while (0)

/* Checks a call's status; on a mismatch prints both status names and the error message. */
#define CHECK_STATUS(call, expected)                                                  \
  do {                                                                                \
    dram_status check_got_ = (call);                                                  \
    if (check_got_ == (expected)) {                                                   \
      check_passed++;                                                                 \
    } else {                                                                          \
      check_failed++;                                                                 \
      fprintf(stderr, "%s:%d: %s returned %s, expected %s: %s\n", __FILE__, __LINE__, \
              #call, dram_status_name(check_got_), dram_status_name(expected),        \
              dram_last_error_message());                                             \
    }                                                                                 \
  } while (0)

#define CHECK_OK(call) CHECK_STATUS(call, DRAM_OK)

/* Checks that the last error message contains `needle`. */
#define CHECK_MESSAGE(needle)                                                              \
  do {                                                                                     \
    const char *check_msg_ = dram_last_error_message();                                    \
    if (check_msg_ != NULL && strstr(check_msg_, (needle)) != NULL) {                      \
      check_passed++;                                                                      \
    } else {                                                                               \
      check_failed++;                                                                      \
      fprintf(stderr, "%s:%d: last error \"%s\" lacks \"%s\"\n", __FILE__, __LINE__,       \
              check_msg_ ? check_msg_ : "(NULL)", (needle));                               \
    }                                                                                      \
  } while (0)

#define CHECK_NEAR(got, want, tolerance)                                                  \
  do {                                                                                    \
    double check_got_ = (got), check_want_ = (want);                                      \
    if (fabs(check_got_ - check_want_) <= (tolerance)) {                                  \
      check_passed++;                                                                     \
    } else {                                                                              \
      check_failed++;                                                                     \
      fprintf(stderr, "%s:%d: %s is %.9g, expected %.9g\n", __FILE__, __LINE__, #got,     \
              check_got_, check_want_);                                                   \
    }                                                                                     \
  } while (0)

static inline int check_summary(const char *suite) {
  printf("%s: %d passed, %d failed\n", suite, check_passed, check_failed);
  return check_failed == 0 ? 0 : 1;
}

#endif
