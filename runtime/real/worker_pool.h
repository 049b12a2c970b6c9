/* worker_pool.h - a fixed set of worker threads that run tasks and hand them back to a libuv loop. Tasks are
 * intrusive (the caller embeds sl_task_t) and run in submission order; each is run by one thread at a time,
 * and its completion is seen on the loop thread after everything the worker wrote (the pool's mutex orders
 * them). Private to the real clock. */
#ifndef SHARDLAB_WORKER_POOL_H
#define SHARDLAB_WORKER_POOL_H

#include <uv.h>

typedef struct sl_task_s {
  struct sl_task_s *next;
  void (*run)(struct sl_task_s *task); /* on a worker thread */
} sl_task_t;

typedef struct sl_worker_pool_s {
  uv_thread_t *threads;
  unsigned count;
  uv_mutex_t lock;
  uv_cond_t ready;                      /* signalled when tasks are queued or the pool stops */
  sl_task_t *queue_head, *queue_tail;   /* waiting to run */
  sl_task_t *done_head, *done_tail;     /* run, waiting for the loop */
  int stopping;
  uv_async_t done_async;                /* wakes the loop when tasks are done */
  void (*done)(sl_task_t *task, void *data); /* on the loop thread, once per finished task */
  void *data;
} sl_worker_pool_t;

/* Starts threads workers (0: one per core) whose finished tasks are handed to done on loop. SL_OK or an
 * error code. */
int sl_worker_pool_start(sl_worker_pool_t *pool, uv_loop_t *loop, unsigned threads,
                         void (*done)(sl_task_t *task, void *data), void *data);
void sl_worker_pool_submit(sl_worker_pool_t *pool, sl_task_t *task);
/* Lets the workers finish the task they run, joins them, hands every task that finished and was not handed
 * back yet to done (on the calling thread, which must be the loop's), and closes the loop handle (run the loop
 * once more to complete the close). Queued tasks that never ran are left to their owner. */
void sl_worker_pool_stop(sl_worker_pool_t *pool);

#endif
