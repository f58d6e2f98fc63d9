/*
 * gpiod_mock.h - test control of a mocked libgpiod over in-memory chips.
 *
 * The CGPIODMock target defines the gpiod_* functions that IronbridgeGPIO calls: the v1
 * API (1.6, gpiod_mock_v1.c) or the v2 API (2.x, gpiod_mock_v2.c), whichever the build
 * chose from pkg-config (Package.swift defines IRONBRIDGE_LIBGPIOD_V2 for 2.x). It is
 * linked only into test executables, where those definitions take precedence over the
 * shared libgpiod: the binding's real code runs against the chips created here. The
 * control functions below are the same for both APIs, so one set of tests drives both.
 *
 * Model
 *   - A mock chip is a device registered under a name ("gpiochip100"), reachable as
 *     /dev/<name> or <gpiod_mock_device_directory()>/<name>, by label, or by number (the
 *     digits ending its name). The device directory holds one empty file per chip, so a
 *     v2 binding that lists a directory for chips (v2 has no chip iterator) finds them. Each
 *     gpiod_chip_open* returns a new handle, like the real library; a line requested
 *     through one handle is busy (EBUSY) for every other handle, like the kernel.
 *   - Input levels are PHYSICAL levels; the binding sees them inverted when it
 *     requested the line active-low. A line nobody drove floats: it reads 1 with
 *     pull-up bias, else 0.
 *   - Setting an input's level queues a rising/falling edge event (LOGICAL edge, as the
 *     kernel reports it) if that edge was requested. With a kernel debounce period (v2),
 *     the event is held until the level has been stable for the period and then only sent
 *     if the logical level differs from the last one reported, stamped when it settled. Events travel through a
 *     real pipe, so poll() on gpiod_line_event_get_fd() and gpiod_line_event_wait()
 *     work. The event timestamp is CLOCK_MONOTONIC now, or the one the test gives.
 *   - A chip can be made to disappear: opening it fails with ENOENT, and every call on
 *     an open handle or requested line fails with ENODEV (a waiter is woken).
 *   - All functions are thread-safe (one pthread mutex); event waits do not hold it.
 *
 * Real-chip mode
 *   When the environment variable IRONBRIDGE_GPIO_TEST_CHIP is set (to a real chip's
 *   name, path or label, e.g. "gpiochip0" on a Raspberry Pi, or a gpio-sim chip), every
 *   gpiod_* function forwards to the real libgpiod (dlsym(RTLD_NEXT), falling back to
 *   dlopen("libgpiod.so.2") for v1, "libgpiod.so.3" for v2). The control functions below then fail with ENOTSUP, and
 *   tests that need them skip themselves (gpiod_mock_is_forwarding() returns 1).
 *   Jumper convention for the tests: wire the line at offset IRONBRIDGE_GPIO_TEST_OUT
 *   (default 17) to the line at offset IRONBRIDGE_GPIO_TEST_IN (default 27); the tests
 *   drive OUT as an output and read/watch IN as an input.
 *
 * Return values: functions returning int give 0 (or the value asked for) on success
 * and -1 with errno set on failure (ENOENT: no such chip, EINVAL: bad offset or
 * argument, EEXIST: chip name taken, ENOTSUP: forwarding mode).
 */
#ifndef IRONBRIDGE_GPIOD_MOCK_H
#define IRONBRIDGE_GPIOD_MOCK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Request types, equal to v1 libgpiod's GPIOD_LINE_REQUEST_* values (the v2 face maps its
 * line settings onto the same values). */
enum {
	GPIOD_MOCK_REQUEST_NONE = 0,
	GPIOD_MOCK_REQUEST_DIRECTION_AS_IS = 1,
	GPIOD_MOCK_REQUEST_DIRECTION_INPUT = 2,
	GPIOD_MOCK_REQUEST_DIRECTION_OUTPUT = 3,
	GPIOD_MOCK_REQUEST_EVENT_FALLING_EDGE = 4,
	GPIOD_MOCK_REQUEST_EVENT_RISING_EDGE = 5,
	GPIOD_MOCK_REQUEST_EVENT_BOTH_EDGES = 6,
};

/* Request flags, equal to v1 libgpiod's GPIOD_LINE_REQUEST_FLAG_* values (v2: mapped). */
enum {
	GPIOD_MOCK_FLAG_OPEN_DRAIN = 1 << 0,
	GPIOD_MOCK_FLAG_OPEN_SOURCE = 1 << 1,
	GPIOD_MOCK_FLAG_ACTIVE_LOW = 1 << 2,
	GPIOD_MOCK_FLAG_BIAS_DISABLE = 1 << 3,
	GPIOD_MOCK_FLAG_BIAS_PULL_DOWN = 1 << 4,
	GPIOD_MOCK_FLAG_BIAS_PULL_UP = 1 << 5,
};

/* Event clocks, as requested through the v2 API (v1 always uses the kernel's default). */
enum {
	GPIOD_MOCK_CLOCK_DEFAULT = 0,
	GPIOD_MOCK_CLOCK_MONOTONIC = 1,
	GPIOD_MOCK_CLOCK_REALTIME = 2,
};

/* The libgpiod API the mock offers: 1 or 2. */
int gpiod_mock_api_version(void);

/* The folder holding one empty file per registered mock chip (created on first use). */
const char *gpiod_mock_device_directory(void);

/* 1 when IRONBRIDGE_GPIO_TEST_CHIP is set and gpiod_* calls go to the real libgpiod. */
int gpiod_mock_is_forwarding(void);

/*
 * Registers a chip. name: "gpiochipN" style (the path is /dev/<name>); label: any text;
 * line_names: comma-separated names by offset, "" or a missing entry leaves a line
 * unnamed ("GPIO0,GPIO1,,LED"); may be NULL. Fails with EEXIST if the name is taken.
 */
int gpiod_mock_chip_create(const char *name, const char *label, unsigned int num_lines,
			   const char *line_names);

/* Unregisters a chip (and makes it disappear for handles still open). */
int gpiod_mock_chip_remove(const char *name);

/*
 * Makes a chip disappear as if unplugged: opening it fails with ENOENT, calls on open
 * handles and requested lines fail with ENODEV, and event waiters are woken. The chip
 * stays registered, so its state can still be inspected.
 */
int gpiod_mock_chip_disappear(const char *name);

/* Number of gpiod_chip handles currently open on the chip. */
int gpiod_mock_chip_open_handles(const char *name);

/* Sets an input's physical level (0/1), queueing an edge event timestamped now. */
int gpiod_mock_set_input_level(const char *chip, unsigned int offset, int level);

/* Same, with the event timestamp given (nanoseconds). */
int gpiod_mock_set_input_level_at(const char *chip, unsigned int offset, int level,
				  uint64_t timestamp_ns);

/* Timestamp (ns) of the last edge event queued on the line; -1/ENOENT if none yet. */
int gpiod_mock_last_event_timestamp(const char *chip, unsigned int offset,
				    uint64_t *timestamp_ns);

/* Number of edges seen on the line since it was requested with edge detection (before
 * any debounce; whether or not the requester asked for that edge's direction). */
int gpiod_mock_event_count(const char *chip, unsigned int offset);

/* Physical level driven on a line requested as output; -1/EPERM if it is not one. */
int gpiod_mock_get_output_level(const char *chip, unsigned int offset);

/* 1 if the line is requested (by the binding or a busy holder), 0 if free. */
int gpiod_mock_line_is_requested(const char *chip, unsigned int offset);

/* How many times the binding requested the line since the chip was created (a restart of its
 * user releases and requests it again), or -1 with errno. */
int gpiod_mock_line_request_count(const char *chip, unsigned int offset);

/* Copies the consumer of a requested line into buf; returns 1 if requested, 0 if free. */
int gpiod_mock_line_consumer(const char *chip, unsigned int offset, char *buf, size_t len);

/* The GPIOD_MOCK_REQUEST_* type of the current request (GPIOD_MOCK_REQUEST_NONE if free). */
int gpiod_mock_line_request_type(const char *chip, unsigned int offset);

/* The GPIOD_MOCK_FLAG_* flags of the current request. */
int gpiod_mock_line_flags(const char *chip, unsigned int offset);

/* The kernel debounce period (microseconds) of the current request; 0 if none. */
long gpiod_mock_line_debounce_us(const char *chip, unsigned int offset);

/* The GPIOD_MOCK_CLOCK_* event clock of the current request. */
int gpiod_mock_line_event_clock(const char *chip, unsigned int offset);

/*
 * Makes the line held by another consumer (requests then fail with EBUSY); a NULL
 * consumer frees it again. Fails with EBUSY if the binding holds the line.
 */
int gpiod_mock_set_line_busy(const char *chip, unsigned int offset, const char *consumer);

#ifdef __cplusplus
}
#endif

#endif /* IRONBRIDGE_GPIOD_MOCK_H */
