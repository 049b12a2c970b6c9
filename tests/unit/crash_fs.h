/* crash_fs.h - what a power loss may leave of a folder, for test_crash_states.c, in the spirit of ALICE
 * (Pillai et al., OSDI 2014) and CrashMonkey (Mohan et al., OSDI 2018).
 *
 * The recorder is a storage I/O layer (storage/storage_io.h) that does each call and logs it: files created,
 * truncated, written (offset and bytes), synced; folders made and synced; renames and unlinks; and marks the
 * workload puts between them ("this was acknowledged"). The model replays the log over inodes and folder
 * entries and, at any point of it, builds a state a POSIX file system may leave after a crash there:
 *   - each file: what its last fsync/fdatasync made durable, plus any prefix of the writes and truncations
 *     since, the last one kept torn at an arbitrary byte;
 *   - each folder: its entries as of its last fsync, plus each create, rename, unlink and mkdir since kept or
 *     lost (in order, each independently; one whose source is gone is skipped);
 * and writes that state into a real folder for the store to open. */
#ifndef SHARDLAB_TEST_CRASH_FS_H
#define SHARDLAB_TEST_CRASH_FS_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/storage_io.h"

enum { CF_CREATE, CF_TRUNC, CF_WRITE, CF_SYNC, CF_RENAME, CF_UNLINK, CF_MKDIR, CF_MARK };
enum { CF_PATH = 160, CF_FDS = 1024 };

typedef struct cf_op_s {
  int kind;
  char path[CF_PATH], path2[CF_PATH]; /* relative to the recorded root; "" is the root */
  long long off;                      /* CF_WRITE: where; CF_TRUNC: the new length */
  unsigned char *data;                /* CF_WRITE */
  size_t len;
  int mark;                           /* CF_MARK: the workload's number */
} cf_op_t;

typedef struct cf_log_s {
  cf_op_t *ops;
  size_t n, cap;
  char root[CF_PATH];
  size_t root_len;
  char fd_path[CF_FDS][CF_PATH];
  int fd_append[CF_FDS];
} cf_log_t;

static cf_log_t cf_log;

static cf_op_t *cf_add(int kind, const char *abs, const char *abs2) {
  if (cf_log.n == cf_log.cap) {
    cf_log.cap = cf_log.cap ? cf_log.cap * 2 : 256;
    cf_log.ops = realloc(cf_log.ops, cf_log.cap * sizeof *cf_log.ops);
  }
  cf_op_t *op = &cf_log.ops[cf_log.n++];
  memset(op, 0, sizeof *op);
  op->kind = kind;
  const char *rel = abs ? abs + cf_log.root_len : "", *rel2 = abs2 ? abs2 + cf_log.root_len : "";
  snprintf(op->path, sizeof op->path, "%s", rel[0] == '/' ? rel + 1 : rel);
  snprintf(op->path2, sizeof op->path2, "%s", rel2[0] == '/' ? rel2 + 1 : rel2);
  return op;
}

static int cf_open(void *ctx, const char *path, int flags, mode_t mode) {
  (void)ctx;
  int existed = access(path, F_OK) == 0;
  int fd = open(path, flags, mode);
  if (fd < 0 || fd >= CF_FDS) return fd;
  snprintf(cf_log.fd_path[fd], CF_PATH, "%s", path);
  cf_log.fd_append[fd] = (flags & O_APPEND) != 0;
  if ((flags & O_CREAT) && !existed) cf_add(CF_CREATE, path, NULL);
  else if ((flags & O_TRUNC) && existed) cf_add(CF_TRUNC, path, NULL)->off = 0;
  return fd;
}

static ssize_t cf_write(void *ctx, int fd, const void *data, size_t len) {
  (void)ctx;
  struct stat st;
  long long off = cf_log.fd_append[fd] ? (fstat(fd, &st) == 0 ? (long long)st.st_size : 0)
                                       : (long long)lseek(fd, 0, SEEK_CUR);
  ssize_t n = write(fd, data, len);
  if (n > 0) {
    cf_op_t *op = cf_add(CF_WRITE, cf_log.fd_path[fd], NULL);
    op->off = off;
    op->len = (size_t)n;
    op->data = malloc((size_t)n);
    memcpy(op->data, data, (size_t)n);
  }
  return n;
}

static int cf_sync(void *ctx, int fd, int data_only) {
  (void)ctx;
  int rc = data_only ? fdatasync(fd) : fsync(fd);
  if (rc == 0) cf_add(CF_SYNC, cf_log.fd_path[fd], NULL);
  return rc;
}

static int cf_close(void *ctx, int fd) {
  (void)ctx;
  if (fd >= 0 && fd < CF_FDS) cf_log.fd_path[fd][0] = '\0';
  return close(fd);
}

static int cf_rename(void *ctx, const char *from, const char *to) {
  (void)ctx;
  int rc = rename(from, to);
  if (rc == 0) cf_add(CF_RENAME, from, to);
  return rc;
}

static int cf_unlink(void *ctx, const char *path) {
  (void)ctx;
  int rc = unlink(path);
  if (rc == 0) cf_add(CF_UNLINK, path, NULL);
  return rc;
}

static int cf_truncate(void *ctx, const char *path, off_t length) {
  (void)ctx;
  int rc = truncate(path, length);
  if (rc == 0) cf_add(CF_TRUNC, path, NULL)->off = (long long)length;
  return rc;
}

static int cf_mkdir(void *ctx, const char *path, mode_t mode) {
  (void)ctx;
  int rc = mkdir(path, mode);
  if (rc == 0) cf_add(CF_MKDIR, path, NULL);
  return rc;
}

static const sl_io_t cf_recorder = {cf_open, cf_write, cf_sync, cf_close, cf_rename, cf_unlink, cf_truncate, cf_mkdir, NULL};

/* Starts recording the calls made under root (an absolute folder that exists). */
static void cf_record(const char *root) {
  for (size_t i = 0; i < cf_log.n; i++) free(cf_log.ops[i].data);
  cf_log.n = 0;
  snprintf(cf_log.root, sizeof cf_log.root, "%s", root);
  cf_log.root_len = strlen(root);
  sl_io_use(&cf_recorder);
}

static void cf_mark(int mark) { cf_add(CF_MARK, NULL, NULL)->mark = mark; }

static void cf_stop(void) { sl_io_use(NULL); }

/* --- the model ------------------------------------------------------------------------------------------ */

typedef struct cf_inode_s {
  unsigned char *cur, *dur; /* the content now; what the last sync made durable */
  size_t len, dur_len;
  size_t *pend;             /* the CF_WRITE/CF_TRUNC ops since that sync */
  size_t npend, cap;
  int is_dir;
} cf_inode_t;

typedef struct cf_entry_s {
  char path[CF_PATH];
  int inode;
} cf_entry_t;

typedef struct cf_model_s {
  cf_inode_t *inodes;
  size_t ninodes;
  cf_entry_t *now, *dur;     /* the names as they are; as the folders' last syncs made them durable */
  size_t nnow, ndur;
  size_t *dpend;             /* the folder ops (create, rename, unlink, mkdir) not yet made durable */
  size_t ndpend;
  int *op_inode;             /* per op of the log: the inode a create or mkdir made */
} cf_model_t;

static void cf_parent(const char *path, char *out) {
  size_t n = 0;
  for (size_t i = 0; path[i]; i++)
    if (path[i] == '/') n = i;
  memcpy(out, path, n);
  out[n] = '\0';
}

static int cf_find(const cf_entry_t *e, size_t n, const char *path) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(e[i].path, path) == 0) return (int)i;
  return -1;
}

static void cf_put(cf_entry_t **e, size_t *n, const char *path, int inode) {
  int at = cf_find(*e, *n, path);
  if (at >= 0) {
    (*e)[at].inode = inode;
    return;
  }
  *e = realloc(*e, (*n + 1) * sizeof **e);
  snprintf((*e)[*n].path, CF_PATH, "%s", path);
  (*e)[(*n)++].inode = inode;
}

static void cf_drop(cf_entry_t *e, size_t *n, const char *path) {
  int at = cf_find(e, *n, path);
  if (at >= 0) e[at] = e[--*n];
}

static int cf_new_inode(cf_model_t *m, int is_dir) {
  m->inodes = realloc(m->inodes, (m->ninodes + 1) * sizeof *m->inodes);
  memset(&m->inodes[m->ninodes], 0, sizeof *m->inodes);
  m->inodes[m->ninodes].is_dir = is_dir;
  return (int)m->ninodes++;
}

/* Applies a content op (write or truncate) to a buffer; torn: only its first `keep` bytes (writes). */
static void cf_apply_content(unsigned char **buf, size_t *len, const cf_op_t *op, size_t keep) {
  if (op->kind == CF_TRUNC) {
    size_t want = (size_t)op->off;
    if (want > *len) {
      *buf = realloc(*buf, want + 1);
      memset(*buf + *len, 0, want - *len);
    }
    *len = want;
    return;
  }
  size_t end = (size_t)op->off + keep;
  if (end > *len) {
    *buf = realloc(*buf, end + 1);
    if ((size_t)op->off > *len) memset(*buf + *len, 0, (size_t)op->off - *len);
    *len = end;
  }
  memcpy(*buf + op->off, op->data, keep);
}

static void cf_snapshot(cf_inode_t *in) {
  free(in->dur);
  in->dur = malloc(in->len + 1);
  if (in->len) memcpy(in->dur, in->cur, in->len);
  in->dur_len = in->len;
  in->npend = 0;
}

static void cf_sync_dir(cf_model_t *m, const char *dir) {
  char parent[CF_PATH];
  for (size_t i = m->ndur; i-- > 0;) { /* the folder's durable entries become its current ones */
    cf_parent(m->dur[i].path, parent);
    if (strcmp(parent, dir) == 0 && m->dur[i].path[0] != '\0') cf_drop(m->dur, &m->ndur, m->dur[i].path);
  }
  for (size_t i = 0; i < m->nnow; i++) {
    cf_parent(m->now[i].path, parent);
    if (strcmp(parent, dir) == 0 && m->now[i].path[0] != '\0') cf_put(&m->dur, &m->ndur, m->now[i].path, m->now[i].inode);
  }
  size_t kept = 0;
  for (size_t i = 0; i < m->ndpend; i++) {
    const cf_op_t *op = &cf_log.ops[m->dpend[i]];
    cf_parent(op->kind == CF_RENAME ? op->path2 : op->path, parent);
    char from_parent[CF_PATH];
    cf_parent(op->path, from_parent);
    if (strcmp(parent, dir) != 0 || strcmp(from_parent, dir) != 0) m->dpend[kept++] = m->dpend[i];
  }
  m->ndpend = kept;
}

static void cf_model_init(cf_model_t *m) {
  memset(m, 0, sizeof *m);
  m->op_inode = calloc(cf_log.n + 1, sizeof *m->op_inode);
  int root = cf_new_inode(m, 1);
  cf_put(&m->now, &m->nnow, "", root);
  cf_put(&m->dur, &m->ndur, "", root);
}

static void cf_pend_dir(cf_model_t *m, size_t op) {
  m->dpend = realloc(m->dpend, (m->ndpend + 1) * sizeof *m->dpend);
  m->dpend[m->ndpend++] = op;
}

static void cf_pend_content(cf_inode_t *in, size_t op) {
  if (in->npend == in->cap) {
    in->cap = in->cap ? in->cap * 2 : 16;
    in->pend = realloc(in->pend, in->cap * sizeof *in->pend);
  }
  in->pend[in->npend++] = op;
}

/* Replays op i of the log on the model. */
static void cf_model_apply(cf_model_t *m, size_t i) {
  const cf_op_t *op = &cf_log.ops[i];
  int at = cf_find(m->now, m->nnow, op->path);
  if (at < 0 && (op->kind == CF_TRUNC || op->kind == CF_WRITE || op->kind == CF_SYNC || op->kind == CF_RENAME))
    return; /* a file the log shows no create of: not under the root */
  switch (op->kind) {
  case CF_CREATE:
  case CF_MKDIR:
    m->op_inode[i] = cf_new_inode(m, op->kind == CF_MKDIR);
    cf_put(&m->now, &m->nnow, op->path, m->op_inode[i]);
    cf_pend_dir(m, i);
    break;
  case CF_TRUNC:
  case CF_WRITE: {
    cf_inode_t *in = &m->inodes[m->now[at].inode];
    cf_apply_content(&in->cur, &in->len, op, op->len);
    cf_pend_content(in, i);
    break;
  }
  case CF_SYNC:
    if (m->inodes[m->now[at].inode].is_dir) cf_sync_dir(m, op->path);
    else cf_snapshot(&m->inodes[m->now[at].inode]);
    break;
  case CF_RENAME:
    cf_put(&m->now, &m->nnow, op->path2, m->now[at].inode);
    cf_drop(m->now, &m->nnow, op->path);
    cf_pend_dir(m, i);
    break;
  case CF_UNLINK:
    cf_drop(m->now, &m->nnow, op->path);
    cf_pend_dir(m, i);
    break;
  }
}

static uint64_t cf_rand(uint64_t *s) { /* splitmix64 */
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* How a state chooses: 0 keeps nothing unsynced, 1 keeps everything, else a random choice from seed. */
typedef struct cf_choice_s {
  int mode;
  uint64_t seed;
} cf_choice_t;

static int cf_keep(cf_choice_t *c) { return c->mode == 0 ? 0 : c->mode == 1 ? 1 : (int)(cf_rand(&c->seed) & 1); }

/* A file's content in the state: durable, then a prefix of the pending ops, the last one maybe torn. */
static unsigned char *cf_crash_content(const cf_inode_t *in, cf_choice_t *c, size_t *len) {
  unsigned char *buf = malloc(in->dur_len + 1);
  if (in->dur_len) memcpy(buf, in->dur, in->dur_len);
  *len = in->dur_len;
  size_t upto = c->mode == 0 ? 0 : c->mode == 1 ? in->npend : (size_t)(cf_rand(&c->seed) % (in->npend + 1));
  for (size_t k = 0; k < upto; k++) {
    const cf_op_t *op = &cf_log.ops[in->pend[k]];
    size_t keep = op->len;
    if (k + 1 == upto && c->mode > 1 && op->kind == CF_WRITE && (cf_rand(&c->seed) & 1))
      keep = (size_t)(cf_rand(&c->seed) % (op->len + 1)); /* torn */
    cf_apply_content(&buf, len, op, keep);
  }
  return buf;
}

/* The names in the state: durable ones, plus each pending folder op kept or lost. */
static cf_entry_t *cf_crash_names(const cf_model_t *m, cf_choice_t *c, size_t *n) {
  cf_entry_t *e = malloc((m->ndur + 1) * sizeof *e);
  memcpy(e, m->dur, m->ndur * sizeof *e);
  *n = m->ndur;
  for (size_t i = 0; i < m->ndpend; i++) {
    const cf_op_t *op = &cf_log.ops[m->dpend[i]];
    if (!cf_keep(c)) continue;
    if (op->kind == CF_CREATE || op->kind == CF_MKDIR) {
      cf_put(&e, n, op->path, m->op_inode[m->dpend[i]]);
    } else if (op->kind == CF_RENAME) {
      int at = cf_find(e, *n, op->path);
      if (at < 0) continue;
      int inode = e[at].inode;
      cf_drop(e, n, op->path);
      cf_put(&e, n, op->path2, inode);
    } else if (op->kind == CF_UNLINK) {
      cf_drop(e, n, op->path);
    }
  }
  return e;
}

static int cf_cmp_entry(const void *a, const void *b) {
  return strcmp(((const cf_entry_t *)a)->path, ((const cf_entry_t *)b)->path);
}

/* Writes the state into out (a folder that exists and is empty); returns a hash of it (to count distinct
 * states). Entries whose folder is not in the state are left out, as a lost folder takes its files along. */
static uint64_t cf_materialize(const cf_model_t *m, cf_choice_t choice, const char *out) {
  size_t n;
  cf_entry_t *e = cf_crash_names(m, &choice, &n);
  qsort(e, n, sizeof *e, cf_cmp_entry); /* a folder before what it holds */
  uint64_t hash = 1469598103934665603ull;
  char path[512], parent[CF_PATH];
  for (size_t i = 0; i < n; i++) {
    if (e[i].path[0] == '\0') continue;
    cf_parent(e[i].path, parent);
    if (parent[0] != '\0' && cf_find(e, n, parent) < 0) continue;
    snprintf(path, sizeof path, "%s/%s", out, e[i].path);
    const cf_inode_t *in = &m->inodes[e[i].inode];
    for (const char *p = e[i].path; *p; p++) hash = (hash ^ (unsigned char)*p) * 1099511628211ull;
    if (in->is_dir) {
      if (mkdir(path, 0755) != 0 && errno != EEXIST) e[i].path[0] = '\0';
      continue;
    }
    size_t len;
    unsigned char *content = cf_crash_content(in, &choice, &len);
    for (size_t k = 0; k < len; k++) hash = (hash ^ content[k]) * 1099511628211ull;
    hash = (hash ^ len) * 1099511628211ull;
    FILE *f = fopen(path, "wb");
    if (f) {
      if (len) fwrite(content, 1, len, f);
      fclose(f);
    }
    free(content);
  }
  free(e);
  return hash;
}

static void cf_model_free(cf_model_t *m) {
  for (size_t i = 0; i < m->ninodes; i++) {
    free(m->inodes[i].cur);
    free(m->inodes[i].dur);
    free(m->inodes[i].pend);
  }
  free(m->inodes);
  free(m->now);
  free(m->dur);
  free(m->dpend);
  free(m->op_inode);
}

#endif
