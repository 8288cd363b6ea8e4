/*
 * tap.c: the tender's N-API addon for `net` devices bound to a Linux TAP interface. It does only
 * what JavaScript cannot: attach to a TAP (open /dev/net/tun, ioctl TUNSETIFF with IFF_TAP |
 * IFF_NO_PI), read its MTU (SIOCGIFMTU), and move frames in batches without a JavaScript call
 * per frame. It never looks inside a frame.
 *
 * Frames cross in the ABI's packed form (docs/abi.md, "net"): each frame is preceded by its
 * length as a 2-byte big-endian number, back to back in one buffer.
 *
 *   open(name)                      -> [fd, mtu, created]      (throws an Error with .code, .syscall)
 *   start(fd, maxFrame, maxFrames, onBatch) -> reader           (libuv uv_poll_t on the fd)
 *       onBatch(buffer, count): called once per readable event with up to maxFrames frames,
 *       read until EAGAIN, in the packed form.
 *   pause(reader) / resume(reader)  stop and restart reading (backpressure: the kernel queues, then drops)
 *   stop(reader)                    stops reading for good and frees the reader
 *   write(fd, packed)               -> frames written; a frame the kernel does not take at once
 *                                      (EAGAIN, ENOBUFS, EIO while the link is down) is dropped, as on a wire
 *   close(fd)
 *
 * Built by the tender with the host's C compiler against Node's headers (tap/addon.ts), cached
 * by the hash of this file like the sandbox's seccomp shim.
 */

#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define CHECK(call)                                                    \
  do {                                                                 \
    if ((call) != napi_ok) {                                           \
      napi_throw_error(env, "ERR_TAP_ADDON", "tap addon: " #call " failed"); \
      return NULL;                                                     \
    }                                                                  \
  } while (0)

static const char *errno_name(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case ENODEV: return "ENODEV";
    case ENXIO: return "ENXIO";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case EBUSY: return "EBUSY";
    case EINVAL: return "EINVAL";
    case ENOTTY: return "ENOTTY";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOMEM: return "ENOMEM";
    case EBADF: return "EBADF";
    case EEXIST: return "EEXIST";
    default: return "EIO";
  }
}

/* Throws an Error whose code is the errno's name and whose syscall names what failed. */
static napi_value throw_errno(napi_env env, int e, const char *syscall) {
  napi_value message, code, sys, error;
  napi_create_string_utf8(env, strerror(e), NAPI_AUTO_LENGTH, &message);
  napi_create_string_utf8(env, errno_name(e), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys);
  napi_create_error(env, code, message, &error);
  napi_set_named_property(env, error, "syscall", sys);
  napi_value num;
  napi_create_int32(env, e, &num);
  napi_set_named_property(env, error, "errno", num);
  napi_throw(env, error);
  return NULL;
}

static int get_int(napi_env env, napi_value v, int32_t *out) { return napi_get_value_int32(env, v, out) == napi_ok; }

/* open(name) -> [fd, mtu, created] */
static napi_value tap_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ + 1];
  size_t len = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok || len == 0 || len >= IFNAMSIZ) {
    return throw_errno(env, EINVAL, "TUNSETIFF");
  }
  int created = 0;
  {
    /* Whether the interface exists before the ioctl: if not, TUNSETIFF creates it (CAP_NET_ADMIN). */
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s >= 0) {
      struct ifreq q;
      memset(&q, 0, sizeof q);
      memcpy(q.ifr_name, name, len);
      created = ioctl(s, SIOCGIFINDEX, &q) < 0 && errno == ENODEV;
      close(s);
    }
  }
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "open /dev/net/tun");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  memcpy(ifr.ifr_name, name, len);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "ioctl TUNSETIFF");
  }
  int mtu = -1;
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s >= 0) {
    struct ifreq q;
    memset(&q, 0, sizeof q);
    memcpy(q.ifr_name, ifr.ifr_name, IFNAMSIZ);
    if (ioctl(s, SIOCGIFMTU, &q) == 0) mtu = q.ifr_mtu;
    close(s);
  }
  if (mtu < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "ioctl SIOCGIFMTU");
  }
  napi_value result, v;
  CHECK(napi_create_array_with_length(env, 3, &result));
  CHECK(napi_create_int32(env, fd, &v));
  CHECK(napi_set_element(env, result, 0, v));
  CHECK(napi_create_int32(env, mtu, &v));
  CHECK(napi_set_element(env, result, 1, v));
  CHECK(napi_get_boolean(env, created, &v));
  CHECK(napi_set_element(env, result, 2, v));
  return result;
}

typedef struct reader {
  uv_poll_t poll; /* first: the poll handle's pointer is the reader's */
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  int fd;
  int polling;
  int stopped;
  size_t max_frame;
  uint32_t max_frames;
  size_t capacity;
} reader_t;

/*
 * One read buffer per thread, shared by every reader of that thread's event loop: a batch is
 * copied out into a JavaScript buffer before the next reader runs, so a tender with thousands of
 * net devices holds one buffer, not one per device.
 */
static __thread uint8_t *shared_buffer;
static __thread size_t shared_capacity;

static uint8_t *read_buffer(size_t capacity) {
  if (shared_capacity < capacity) {
    uint8_t *grown = realloc(shared_buffer, capacity);
    if (grown == NULL) return NULL;
    shared_buffer = grown;
    shared_capacity = capacity;
  }
  return shared_buffer;
}

static void reader_closed(uv_handle_t *handle) {
  free((reader_t *)handle);
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  reader_t *r = (reader_t *)handle;
  if (r->stopped) return;
  if (status < 0) return; /* a poll error: the fd is gone; stop() follows when the device closes */
  uint8_t *buffer = read_buffer(r->capacity);
  if (buffer == NULL) return; /* out of memory: the kernel keeps the frames (and drops past its queue) */
  size_t used = 0;
  uint32_t count = 0;
  while (count < r->max_frames && used + 2 + r->max_frame <= r->capacity) {
    ssize_t n = read(r->fd, buffer + used + 2, r->max_frame);
    if (n < 0) {
      if (errno == EINTR) continue;
      break; /* EAGAIN: drained; anything else: nothing more this time */
    }
    if (n == 0) break;
    buffer[used] = (uint8_t)(n >> 8);
    buffer[used + 1] = (uint8_t)n;
    used += 2 + (size_t)n;
    count++;
  }
  if (count == 0) return;
  napi_env env = r->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value js_buffer, n, fn, recv, result;
  void *data;
  if (napi_create_buffer_copy(env, used, buffer, &data, &js_buffer) == napi_ok && napi_create_uint32(env, count, &n) == napi_ok &&
      napi_get_reference_value(env, r->callback, &fn) == napi_ok && napi_get_global(env, &recv) == napi_ok) {
    napi_value argv[2] = {js_buffer, n};
    /* make_callback: the callback's promise jobs and process.nextTick callbacks run before it returns. */
    napi_make_callback(env, r->context, recv, fn, 2, argv, &result);
  }
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    napi_value exception;
    napi_get_and_clear_last_exception(env, &exception);
    napi_fatal_exception(env, exception);
  }
  napi_close_handle_scope(env, scope);
}

static void reader_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)data;
  (void)hint;
  /* The reader is freed by stop(); a reader never stopped lives as long as the tender (by design: stop() always runs on close). */
}

/* start(fd, maxFrame, maxFrames, onBatch) -> reader */
static napi_value tap_start(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, max_frame, max_frames;
  if (argc < 4 || !get_int(env, argv[0], &fd) || !get_int(env, argv[1], &max_frame) || !get_int(env, argv[2], &max_frames) || max_frame < 14 || max_frame > 65535 || max_frames < 1) {
    return throw_errno(env, EINVAL, "start");
  }
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  reader_t *r = calloc(1, sizeof *r);
  if (r == NULL) return throw_errno(env, ENOMEM, "start");
  r->env = env;
  r->fd = fd;
  r->max_frame = (size_t)max_frame;
  r->max_frames = (uint32_t)max_frames;
  r->capacity = (size_t)max_frames * (2 + (size_t)max_frame);
  if (r->capacity > 4u << 20) r->capacity = 4u << 20;
  if (r->capacity < 2 + (size_t)max_frame) r->capacity = 2 + (size_t)max_frame;
  napi_value name;
  CHECK(napi_create_string_utf8(env, "tsuki:tap", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_reference(env, argv[3], 1, &r->callback));
  CHECK(napi_async_init(env, NULL, name, &r->context));
  int e = uv_poll_init(loop, &r->poll, fd);
  if (e == 0) e = uv_poll_start(&r->poll, UV_READABLE, on_readable);
  if (e != 0) {
    napi_delete_reference(env, r->callback);
    napi_async_destroy(env, r->context);
    free(r);
    return throw_errno(env, -e, "uv_poll_start");
  }
  r->polling = 1;
  napi_value external;
  CHECK(napi_create_external(env, r, reader_finalize, NULL, &external));
  return external;
}

static reader_t *reader_of(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_get_value_external(env, argv[0], &data) != napi_ok) return NULL;
  return (reader_t *)data;
}

static napi_value tap_pause(napi_env env, napi_callback_info info) {
  reader_t *r = reader_of(env, info);
  if (r != NULL && !r->stopped && r->polling) {
    uv_poll_stop(&r->poll);
    r->polling = 0;
  }
  return NULL;
}

static napi_value tap_resume(napi_env env, napi_callback_info info) {
  reader_t *r = reader_of(env, info);
  if (r != NULL && !r->stopped && !r->polling) {
    if (uv_poll_start(&r->poll, UV_READABLE, on_readable) == 0) r->polling = 1;
  }
  return NULL;
}

static napi_value tap_stop(napi_env env, napi_callback_info info) {
  reader_t *r = reader_of(env, info);
  if (r == NULL || r->stopped) return NULL;
  r->stopped = 1;
  uv_poll_stop(&r->poll);
  napi_delete_reference(env, r->callback);
  napi_async_destroy(env, r->context);
  uv_close((uv_handle_t *)&r->poll, reader_closed);
  return NULL;
}

/* write(fd, packed) -> frames written */
static napi_value tap_write(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  void *data;
  size_t length;
  napi_typedarray_type type;
  napi_value arraybuffer;
  size_t offset;
  if (argc < 2 || !get_int(env, argv[0], &fd) || napi_get_typedarray_info(env, argv[1], &type, &length, &data, &arraybuffer, &offset) != napi_ok || type != napi_uint8_array) {
    return throw_errno(env, EINVAL, "write");
  }
  const uint8_t *p = data;
  size_t at = 0;
  uint32_t written = 0;
  while (at + 2 <= length) {
    size_t n = ((size_t)p[at] << 8) | p[at + 1];
    at += 2;
    if (at + n > length) break;
    ssize_t w;
    do w = write(fd, p + at, n);
    while (w < 0 && errno == EINTR);
    if (w == (ssize_t)n) written++;
    at += n;
  }
  napi_value result;
  CHECK(napi_create_uint32(env, written, &result));
  return result;
}

static napi_value tap_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  if (argc >= 1 && get_int(env, argv[0], &fd) && fd > 2) close(fd);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
      {"open", NULL, tap_open, NULL, NULL, NULL, napi_default, NULL},
      {"start", NULL, tap_start, NULL, NULL, NULL, napi_default, NULL},
      {"pause", NULL, tap_pause, NULL, NULL, NULL, napi_default, NULL},
      {"resume", NULL, tap_resume, NULL, NULL, NULL, napi_default, NULL},
      {"stop", NULL, tap_stop, NULL, NULL, NULL, napi_default, NULL},
      {"write", NULL, tap_write, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, tap_close, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof methods / sizeof methods[0], methods));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
