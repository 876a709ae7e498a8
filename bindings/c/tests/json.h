/*
 * A tiny JSON reader for the shared test vectors: objects, arrays, strings (with \u escapes),
 * numbers, true, false, null. Not a general-purpose parser: it trusts its input's size and
 * reports the first syntax error by aborting the test.
 */
#ifndef DRAM_TEST_JSON_H
#define DRAM_TEST_JSON_H

#include <stddef.h>

typedef enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json {
  json_type type;
  int boolean;
  double number;
  char *string;        /* JSON_STRING: NUL-terminated UTF-8 */
  size_t count;        /* JSON_ARRAY / JSON_OBJECT: number of items */
  char **keys;         /* JSON_OBJECT: keys, parallel to items */
  struct json *items;  /* JSON_ARRAY / JSON_OBJECT */
} json;

/* Parses the file at `path`; aborts with a message on any error. Free with json_free. */
json *json_read_file(const char *path);
void json_free(json *value);

/* Member `key` of an object, or NULL if absent (or `object` is not an object). */
const json *json_get(const json *object, const char *key);
/* Like json_get but aborts when the member is missing or not of `type`. */
const json *json_expect(const json *object, const char *key, json_type type);

#endif
