/* cli_report.c - what `shardlab run` makes of its results besides the summary table: the diagnosis lines at
 * the end of the terminal output, the HTML report (--report) and the CSV files (--csv). The Lua layer makes
 * them from the results as `--json` writes them (lua/report_render.h: scripts/shardlab/diagnose.lua and
 * report.lua); this file prints them and writes the files. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli_report.h"
#include "lua/report_render.h"

static int write_file(const char *path, const char *text, size_t len) {
  FILE *f = fopen(path, "w");
  if (f == NULL) {
    fprintf(stderr, "shardlab run: cannot write %s: %s\n", path, strerror(errno));
    return -1;
  }
  int ok = fwrite(text, 1, len, f) == len, why = ok ? 0 : errno;
  if (fclose(f) != 0 || !ok) {
    fprintf(stderr, "shardlab run: cannot write %s: %s\n", path, strerror(why != 0 ? why : errno));
    return -1;
  }
  return 0;
}

/* Can path be opened for writing? Opens it without truncating it (a file that was not there is created, then
 * removed). 0, or -1 after printing why. */
static int check_file(const char *option, const char *path) {
  struct stat st;
  int existed = stat(path, &st) == 0;
  int fd = existed ? open(path, O_WRONLY) : open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
  if (fd < 0) {
    fprintf(stderr, "shardlab run: %s %s: cannot open it for writing: %s\n", option, path, strerror(errno));
    return -1;
  }
  close(fd);
  if (!existed) unlink(path);
  return 0;
}

/* Is dir a folder files can be created in, or can it be created? Leaves nothing behind. 0, or -1 after
 * printing why. */
static int check_dir(const char *dir) {
  struct stat st;
  char probe[4096];
  if (stat(dir, &st) != 0) {
    if (errno == ENOENT && mkdir(dir, 0777) == 0) return rmdir(dir), 0;
  } else if (!S_ISDIR(st.st_mode)) {
    errno = ENOTDIR;
  } else if (snprintf(probe, sizeof probe, "%s/.shardlab-check-XXXXXX", dir) < (int)sizeof probe) {
    int fd = mkstemp(probe);
    if (fd >= 0) return close(fd), unlink(probe), 0;
  } else {
    errno = ENAMETOOLONG;
  }
  fprintf(stderr, "shardlab run: --csv %s: cannot write files in it: %s\n", dir, strerror(errno));
  return -1;
}

int sl_cli_check_outputs(const char *json_path, const sl_report_request_t *req) {
  if (json_path != NULL && check_file("--json", json_path) != 0) return -1;
  if (req->html_path != NULL && check_file("--report", req->html_path) != 0) return -1;
  if (req->csv_dir != NULL && check_dir(req->csv_dir) != 0) return -1;
  return 0;
}

int sl_cli_write_json(json_t *experiments, const char *path) {
  json_t *doc = json_pack("{s:O}", "experiments", experiments);
  char *text = doc != NULL ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12)) : NULL;
  json_decref(doc);
  if (text == NULL) {
    fprintf(stderr, "shardlab run: cannot write %s: out of memory\n", path);
    return -1;
  }
  int rc = write_file(path, text, strlen(text));
  free(text);
  return rc;
}

static void print_diagnosis(sl_report_render_t *r, json_t *experiments) {
  size_t i, k;
  json_t *e, *line;
  json_array_foreach(experiments, i, e) {
    printf("\n%s: what limited it\n", json_string_value(json_object_get(e, "name")));
    json_t *lines = sl_report_render_diagnosis(r, i);
    if (lines == NULL) fprintf(stderr, "shardlab run: diagnosis: %s\n", sl_report_render_error(r));
    json_array_foreach(lines, k, line) printf("  - %s\n", json_string_value(line));
    json_decref(lines);
  }
}

static int write_html(sl_report_render_t *r, const char *path) {
  size_t len;
  char *html = sl_report_render_html(r, &len);
  if (html == NULL) {
    fprintf(stderr, "shardlab run: --report: %s\n", sl_report_render_error(r));
    return -1;
  }
  int rc = write_file(path, html, len);
  free(html);
  return rc;
}

static int write_csv(sl_report_render_t *r, const char *dir) {
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "shardlab run: --csv: cannot create %s: %s\n", dir, strerror(errno));
    return -1;
  }
  json_t *files = sl_report_render_csv(r);
  if (files == NULL) {
    fprintf(stderr, "shardlab run: --csv: %s\n", sl_report_render_error(r));
    return -1;
  }
  int rc = 0;
  for (size_t k = 0; rc == 0 && k < json_array_size(files); k++) {
    json_t *file = json_array_get(files, k), *text = json_object_get(file, "text");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, json_string_value(json_object_get(file, "file")));
    rc = write_file(path, json_string_value(text), json_string_length(text));
  }
  json_decref(files);
  return rc;
}

int sl_cli_report(json_t *experiments, const sl_report_request_t *req) {
  sl_report_render_t *r;
  sl_error_t err;
  if (sl_report_render_open(experiments, &r, &err) != SL_OK) {
    fprintf(stderr, "shardlab run: %s\n", err.message);
    return -1;
  }
  int rc = 0;
  if (req->diagnose) print_diagnosis(r, experiments);
  if (req->html_path != NULL) rc = write_html(r, req->html_path);
  if (rc == 0 && req->csv_dir != NULL) rc = write_csv(r, req->csv_dir);
  sl_report_render_close(r);
  return rc;
}
