/* worker_pool.c - worker threads taking tasks from one FIFO queue under a mutex and condition variable, and
 * a uv_async_t that brings finished tasks back to the loop thread. We keep our own threads rather than
 * libuv's threadpool because its size is process-wide and fixed by an environment variable at first use,
 * while the number of workers is a setting of each run. */
#define _POSIX_C_SOURCE 200809L /* uv.h needs pthread_rwlock_t */
#include "real/worker_pool.h"

#include <stdlib.h>

#include "shardlab/error.h"

static void append(sl_task_t **head, sl_task_t **tail, sl_task_t *task) {
  task->next = NULL;
  if (*tail != NULL)
    (*tail)->next = task;
  else
    *head = task;
  *tail = task;
}

static void worker_main(void *arg) {
  sl_worker_pool_t *pool = arg;
  uv_mutex_lock(&pool->lock);
  for (;;) {
    while (pool->queue_head == NULL && !pool->stopping) uv_cond_wait(&pool->ready, &pool->lock);
    if (pool->stopping) break;
    sl_task_t *task = pool->queue_head;
    pool->queue_head = task->next;
    if (pool->queue_head == NULL) pool->queue_tail = NULL;
    uv_mutex_unlock(&pool->lock);
    task->run(task);
    uv_mutex_lock(&pool->lock);
    append(&pool->done_head, &pool->done_tail, task);
    uv_async_send(&pool->done_async);
  }
  uv_mutex_unlock(&pool->lock);
}

/* On the loop thread: take every finished task at once, then hand them over in the order they finished. */
static void on_done(uv_async_t *handle) {
  sl_worker_pool_t *pool = handle->data;
  uv_mutex_lock(&pool->lock);
  sl_task_t *task = pool->done_head;
  pool->done_head = pool->done_tail = NULL;
  uv_mutex_unlock(&pool->lock);
  while (task != NULL) {
    sl_task_t *next = task->next;
    pool->done(task, pool->data);
    task = next;
  }
}

int sl_worker_pool_start(sl_worker_pool_t *pool, uv_loop_t *loop, unsigned threads,
                         void (*done)(sl_task_t *task, void *data), void *data) {
  *pool = (sl_worker_pool_t){0};
  pool->done = done;
  pool->data = data;
  if (threads == 0) threads = uv_available_parallelism();
  pool->threads = calloc(threads, sizeof *pool->threads);
  if (pool->threads == NULL) return SL_ENOMEM;
  if (uv_mutex_init(&pool->lock) != 0) {
    free(pool->threads);
    return SL_ENOMEM;
  }
  if (uv_cond_init(&pool->ready) != 0) {
    uv_mutex_destroy(&pool->lock);
    free(pool->threads);
    return SL_ENOMEM;
  }
  uv_async_init(loop, &pool->done_async, on_done);
  pool->done_async.data = pool;
  for (; pool->count < threads; pool->count++)
    if (uv_thread_create(&pool->threads[pool->count], worker_main, pool) != 0) break;
  if (pool->count == 0) {
    sl_worker_pool_stop(pool);
    return SL_ENOMEM;
  }
  return SL_OK;
}

void sl_worker_pool_submit(sl_worker_pool_t *pool, sl_task_t *task) {
  uv_mutex_lock(&pool->lock);
  append(&pool->queue_head, &pool->queue_tail, task);
  uv_cond_signal(&pool->ready);
  uv_mutex_unlock(&pool->lock);
}

void sl_worker_pool_stop(sl_worker_pool_t *pool) {
  if (pool->threads == NULL) return;
  uv_mutex_lock(&pool->lock);
  pool->stopping = 1;
  uv_cond_broadcast(&pool->ready);
  uv_mutex_unlock(&pool->lock);
  for (unsigned i = 0; i < pool->count; i++) uv_thread_join(&pool->threads[i]);
  /* A task that finished just before (its wake-up still pending, which closing the handle would drop) is
   * handed back now: every task that ran reaches done exactly once. */
  on_done(&pool->done_async);
  uv_close((uv_handle_t *)&pool->done_async, NULL);
  uv_cond_destroy(&pool->ready);
  uv_mutex_destroy(&pool->lock);
  free(pool->threads);
  pool->threads = NULL;
}
