/*
 * mock_core.h - the state shared by the v1 and v2 faces of the mocked libgpiod
 * (gpiod_mock_v1.c, gpiod_mock_v2.c): in-memory chips and lines, forwarding to the real
 * library, and edge events (with the kernel's debounce for v2) through real pipes.
 * Private to the CGPIODMock target.
 */
#ifndef IRONBRIDGE_GPIOD_MOCK_CORE_H
#define IRONBRIDGE_GPIOD_MOCK_CORE_H

#define _GNU_SOURCE /* RTLD_NEXT, ppoll, pipe2 */

#include "gpiod_mock.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* The header's API generation must match what Package.swift detected with pkg-config. */
#include <gpiod.h>
#ifdef IRONBRIDGE_LIBGPIOD_V2
#ifdef GPIOD_LINE_BULK_MAX_LINES
#error "Package.swift chose libgpiod v2, but <gpiod.h> is the v1 header"
#endif
#else
#ifndef GPIOD_LINE_BULK_MAX_LINES
#error "Package.swift chose libgpiod v1, but <gpiod.h> is not the v1 header"
#endif
#endif

#define MOCK_NAME_MAX 32 /* the kernel's GPIO_MAX_NAME_SIZE */

enum { HOLDER_NONE = 0, HOLDER_BINDING, HOLDER_OTHER };

/* What travels through a line's event pipe: written whole (< PIPE_BUF, so atomically). */
struct mock_event {
	uint64_t timestamp_ns;
	int rising; /* 1 rising, 0 falling (logical) */
	unsigned int offset;
	unsigned long line_seqno;
};

struct mock_line {
	char name[MOCK_NAME_MAX];
	int input_level; /* physical; -1: floating (bias decides) */
	int output_level; /* physical */
	int holder;
	const void *owner; /* the binding's handle that holds it (v1 line, v2 request) */
	char consumer[MOCK_NAME_MAX];
	int request_type; /* GPIOD_MOCK_REQUEST_* */
	int flags; /* GPIOD_MOCK_FLAG_* */
	unsigned long debounce_us; /* kernel debounce (v2) */
	int event_clock; /* GPIOD_MOCK_CLOCK_* */
	int event_pipe[2]; /* [0] read end handed out, [1] write end; -1 when closed */
	uint64_t last_timestamp;
	bool has_timestamp;
	int edge_count; /* raw edges seen while requested with edge detection */
	int request_count; /* times the binding requested the line since the chip was created */
	unsigned long seqno;
	/* debounce in progress: the level settles at due_ns unless it changes again */
	bool debounce_pending;
	uint64_t debounce_due_ns;
	int reported_logical; /* the last logical level reported through an event (or at request) */
};

struct mock_device {
	char name[MOCK_NAME_MAX];
	char label[MOCK_NAME_MAX];
	unsigned int num_lines;
	struct mock_line *lines;
	bool registered;
	bool gone;
	int handles; /* open chip handles */
	int requests; /* live v2 line requests (they keep the device alive) */
	struct mock_device *next;
};

extern pthread_mutex_t mock_lock;
extern struct mock_device *mock_devices;

/* Forwarding to the real libgpiod when IRONBRIDGE_GPIO_TEST_CHIP is set. */
bool mock_forwarding(void);
void *mock_real_symbol(const char *symbol);

/* Converting dlsym's void * to a function pointer is what POSIX dlsym requires to work. */
#define FORWARD(ret, params, symbol, ...)                                       \
	do {                                                                    \
		if (mock_forwarding()) {                                        \
			ret(*real_fn) params = (ret(*) params)mock_real_symbol(#symbol); \
			return real_fn(__VA_ARGS__);                            \
		}                                                               \
	} while (0)

#define FORWARD_NOARGS(ret, symbol)                                             \
	do {                                                                    \
		if (mock_forwarding()) {                                        \
			ret(*real_fn)(void) = (ret(*)(void))mock_real_symbol(#symbol); \
			return real_fn();                                       \
		}                                                               \
	} while (0)

#define FORWARD_VOID(params, symbol, ...)                                        \
	do {                                                                    \
		if (mock_forwarding()) {                                        \
			void(*real_fn) params = (void(*) params)mock_real_symbol(#symbol); \
			real_fn(__VA_ARGS__);                                   \
			return;                                                 \
		}                                                               \
	} while (0)

/* Helpers; "_locked" ones expect mock_lock held. */
void mock_copy_name(char *dst, const char *src);
struct mock_device *mock_find_device_locked(const char *name);
/* The device a path names: /dev/<name> or <mock device directory>/<name>. */
struct mock_device *mock_find_device_by_path_locked(const char *path);
void mock_close_fd(int *fd);
void mock_free_device_if_unused_locked(struct mock_device *dev);
bool mock_is_event_request(int request_type);
int mock_active_low(const struct mock_line *ml);
int mock_physical_input(const struct mock_line *ml);
uint64_t mock_monotonic_now_ns(void);
/* Takes the line for the binding: opens the event pipe if edges were asked for. 0 or errno. */
int mock_take_line_locked(struct mock_line *ml, const void *owner, const char *consumer,
			  int request_type, int flags, int output_value, unsigned long debounce_us,
			  int event_clock);
void mock_release_line_locked(struct mock_line *ml);
/* Reads up to max whole events from a pipe; -1 with errno (ENODEV at end of file). */
int mock_read_events(int fd, struct mock_event *events, unsigned int max);

#endif /* IRONBRIDGE_GPIOD_MOCK_CORE_H */
