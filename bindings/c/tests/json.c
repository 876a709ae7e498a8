/* A tiny JSON reader for the shared test vectors (see json.h). */
#include "json.h"

#include "files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
  const char *at;
  const char *path;
} parser;

static void fail(const parser *p, const char *what) {
  fprintf(stderr, "%s: JSON error: %s near \"%.20s\"\n", p->path, what, p->at);
  exit(1);
}

static void *xrealloc(void *ptr, size_t size) {
  void *result = realloc(ptr, size ? size : 1);
  if (!result) {
    fprintf(stderr, "out of memory\n");
    exit(1);
  }
  return result;
}

static void skip_space(parser *p) {
  while (*p->at == ' ' || *p->at == '\n' || *p->at == '\r' || *p->at == '\t') p->at++;
}

static void parse_value(parser *p, json *out);

static unsigned hex4(parser *p) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = *p->at++;
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else fail(p, "bad \\u escape");
  }
  return v;
}

/* Appends code point `cp` as UTF-8. */
static size_t put_utf8(char *out, unsigned cp) {
  if (cp < 0x80) { out[0] = (char)cp; return 1; }
  if (cp < 0x800) { out[0] = (char)(0xC0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

static char *parse_string(parser *p) {
  if (*p->at != '"') fail(p, "expected a string");
  p->at++;
  const char *end = p->at;
  while (*end && *end != '"') end += (*end == '\\' && end[1]) ? 2 : 1;
  /* Escapes never expand: the raw length bounds the decoded one. */
  char *out = xrealloc(NULL, (size_t)(end - p->at) + 1);
  size_t n = 0;
  while (*p->at != '"') {
    char c = *p->at++;
    if (c == '\0') fail(p, "unterminated string");
    if (c != '\\') { out[n++] = c; continue; }
    c = *p->at++;
    switch (c) {
      case '"': case '\\': case '/': out[n++] = c; break;
      case 'b': out[n++] = '\b'; break;
      case 'f': out[n++] = '\f'; break;
      case 'n': out[n++] = '\n'; break;
      case 'r': out[n++] = '\r'; break;
      case 't': out[n++] = '\t'; break;
      case 'u': {
        unsigned cp = hex4(p);
        if (cp >= 0xD800 && cp < 0xDC00 && p->at[0] == '\\' && p->at[1] == 'u') {
          p->at += 2;
          unsigned low = hex4(p);
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        n += put_utf8(out + n, cp);
        break;
      }
      default: fail(p, "bad escape");
    }
  }
  p->at++;
  out[n] = '\0';
  return out;
}

static void parse_container(parser *p, json *out, int is_object) {
  char close = is_object ? '}' : ']';
  out->type = is_object ? JSON_OBJECT : JSON_ARRAY;
  p->at++;
  skip_space(p);
  if (*p->at == close) { p->at++; return; }
  for (;;) {
    out->items = xrealloc(out->items, (out->count + 1) * sizeof *out->items);
    if (is_object) {
      out->keys = xrealloc(out->keys, (out->count + 1) * sizeof *out->keys);
      skip_space(p);
      out->keys[out->count] = parse_string(p);
      skip_space(p);
      if (*p->at++ != ':') fail(p, "expected ':'");
    }
    parse_value(p, &out->items[out->count++]);
    skip_space(p);
    if (*p->at == ',') { p->at++; continue; }
    if (*p->at++ != close) fail(p, "expected ',' or the end of a container");
    return;
  }
}

static void parse_value(parser *p, json *out) {
  memset(out, 0, sizeof *out);
  skip_space(p);
  if (*p->at == '{' || *p->at == '[') {
    parse_container(p, out, *p->at == '{');
  } else if (*p->at == '"') {
    out->type = JSON_STRING;
    out->string = parse_string(p);
  } else if (strncmp(p->at, "true", 4) == 0 || strncmp(p->at, "false", 5) == 0) {
    out->type = JSON_BOOL;
    out->boolean = *p->at == 't';
    p->at += out->boolean ? 4 : 5;
  } else if (strncmp(p->at, "null", 4) == 0) {
    out->type = JSON_NULL;
    p->at += 4;
  } else {
    char *end;
    out->type = JSON_NUMBER;
    out->number = strtod(p->at, &end);
    if (end == p->at) fail(p, "unexpected character");
    p->at = end;
  }
}

json *json_read_file(const char *path) {
  char *text = (char *)read_file(path, NULL);
  parser p = {text, path};
  json *root = xrealloc(NULL, sizeof *root);
  parse_value(&p, root);
  skip_space(&p);
  if (*p.at) fail(&p, "trailing characters");
  free(text);
  return root;
}

static void free_members(json *v) {
  for (size_t i = 0; i < v->count; i++) {
    free_members(&v->items[i]);
    if (v->keys) free(v->keys[i]);
  }
  free(v->items);
  free(v->keys);
  free(v->string);
}

void json_free(json *value) {
  if (!value) return;
  free_members(value);
  free(value);
}

const json *json_get(const json *object, const char *key) {
  if (!object || object->type != JSON_OBJECT) return NULL;
  for (size_t i = 0; i < object->count; i++)
    if (strcmp(object->keys[i], key) == 0) return &object->items[i];
  return NULL;
}

const json *json_expect(const json *object, const char *key, json_type type) {
  const json *v = json_get(object, key);
  if (!v || v->type != type) {
    fprintf(stderr, "test vectors: member \"%s\" is missing or of the wrong type\n", key);
    exit(1);
  }
  return v;
}
