/*
 * gpiod_mock.c - a mocked libgpiod 1.6 (v1 API) over in-memory chips; see gpiod_mock.h.
 *
 * Implements the gpiod_* functions IronbridgeGPIO calls (and a few neighbours), with
 * the errno conventions of the real library and the kernel beneath it. When
 * IRONBRIDGE_GPIO_TEST_CHIP is set, every gpiod_* function forwards to the real
 * library instead.
 */
#define _GNU_SOURCE /* RTLD_NEXT, ppoll, pipe2 */

#include "gpiod_mock.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gpiod.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

_Static_assert(GPIOD_MOCK_FLAG_OPEN_DRAIN == GPIOD_LINE_REQUEST_FLAG_OPEN_DRAIN, "flag");
_Static_assert(GPIOD_MOCK_FLAG_OPEN_SOURCE == GPIOD_LINE_REQUEST_FLAG_OPEN_SOURCE, "flag");
_Static_assert(GPIOD_MOCK_FLAG_ACTIVE_LOW == GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW, "flag");
_Static_assert(GPIOD_MOCK_FLAG_BIAS_DISABLE == GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE, "flag");
_Static_assert(GPIOD_MOCK_FLAG_BIAS_PULL_DOWN == GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN, "flag");
_Static_assert(GPIOD_MOCK_FLAG_BIAS_PULL_UP == GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP, "flag");
_Static_assert(GPIOD_MOCK_REQUEST_DIRECTION_INPUT == GPIOD_LINE_REQUEST_DIRECTION_INPUT, "type");
_Static_assert(GPIOD_MOCK_REQUEST_DIRECTION_OUTPUT == GPIOD_LINE_REQUEST_DIRECTION_OUTPUT, "type");
_Static_assert(GPIOD_MOCK_REQUEST_EVENT_FALLING_EDGE == GPIOD_LINE_REQUEST_EVENT_FALLING_EDGE, "type");
_Static_assert(GPIOD_MOCK_REQUEST_EVENT_RISING_EDGE == GPIOD_LINE_REQUEST_EVENT_RISING_EDGE, "type");
_Static_assert(GPIOD_MOCK_REQUEST_EVENT_BOTH_EDGES == GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES, "type");

#define MOCK_NAME_MAX 32 /* the kernel's GPIO_MAX_NAME_SIZE */

enum { HOLDER_NONE = 0, HOLDER_BINDING, HOLDER_OTHER };

struct mock_line {
	char name[MOCK_NAME_MAX];
	int input_level; /* physical; -1: floating (bias decides) */
	int output_level; /* physical */
	int holder;
	char consumer[MOCK_NAME_MAX];
	int request_type;
	int flags;
	int event_pipe[2]; /* [0] read end handed out, [1] write end; -1 when closed */
	uint64_t last_timestamp;
	bool has_timestamp;
	int event_count;
};

struct mock_device {
	char name[MOCK_NAME_MAX];
	char label[MOCK_NAME_MAX];
	unsigned int num_lines;
	struct mock_line *lines;
	bool registered;
	bool gone;
	int handles;
	struct mock_device *next;
};

struct gpiod_line {
	struct gpiod_chip *chip;
	unsigned int offset;
	bool requested; /* by this handle */
	char consumer[MOCK_NAME_MAX]; /* snapshot returned by gpiod_line_consumer */
};

struct gpiod_chip {
	struct mock_device *dev;
	struct gpiod_line *lines;
	char name[MOCK_NAME_MAX];
	char label[MOCK_NAME_MAX];
};

struct gpiod_chip_iter {
	struct gpiod_chip **chips;
	unsigned int num_chips;
	unsigned int offset;
};

static pthread_mutex_t mock_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mock_device *mock_devices;

/* ---------------------------------------------------------------- forwarding */

static pthread_once_t forwarding_once = PTHREAD_ONCE_INIT;
static bool forwarding_enabled;
static void *real_library;

static void forwarding_init(void)
{
	const char *chip = getenv("IRONBRIDGE_GPIO_TEST_CHIP");
	forwarding_enabled = chip != NULL && chip[0] != '\0';
}

static bool mock_forwarding(void)
{
	pthread_once(&forwarding_once, forwarding_init);
	return forwarding_enabled;
}

int gpiod_mock_is_forwarding(void)
{
	return mock_forwarding() ? 1 : 0;
}

/* The real libgpiod's definition of a symbol; aborts if it cannot be found. */
static void *real_symbol(const char *symbol)
{
	void *fn = dlsym(RTLD_NEXT, symbol);
	if (fn == NULL) {
		pthread_mutex_lock(&mock_lock);
		if (real_library == NULL)
			real_library = dlopen("libgpiod.so.2", RTLD_NOW | RTLD_LOCAL);
		pthread_mutex_unlock(&mock_lock);
		if (real_library != NULL)
			fn = dlsym(real_library, symbol);
	}
	if (fn == NULL) {
		fprintf(stderr, "gpiod_mock: IRONBRIDGE_GPIO_TEST_CHIP is set but the real %s "
				"was not found: %s\n", symbol, dlerror());
		abort();
	}
	return fn;
}

/* Converting dlsym's void * to a function pointer is what POSIX dlsym requires to work. */
#define FORWARD(ret, params, symbol, ...)                               \
	do {                                                            \
		if (mock_forwarding()) {                                \
			ret(*real_fn) params = (ret(*) params)real_symbol(#symbol); \
			return real_fn(__VA_ARGS__);                    \
		}                                                       \
	} while (0)

#define FORWARD_NOARGS(ret, symbol)                                     \
	do {                                                            \
		if (mock_forwarding()) {                                \
			ret(*real_fn)(void) = (ret(*)(void))real_symbol(#symbol); \
			return real_fn();                               \
		}                                                       \
	} while (0)

#define FORWARD_VOID(params, symbol, ...)                                \
	do {                                                            \
		if (mock_forwarding()) {                                \
			void(*real_fn) params = (void(*) params)real_symbol(#symbol); \
			real_fn(__VA_ARGS__);                           \
			return;                                         \
		}                                                       \
	} while (0)

/* ---------------------------------------------------------------- helpers (lock held) */

static void copy_name(char *dst, const char *src)
{
	if (src == NULL)
		src = "";
	snprintf(dst, MOCK_NAME_MAX, "%s", src);
}

static struct mock_device *find_device(const char *name)
{
	if (name == NULL)
		return NULL;
	for (struct mock_device *dev = mock_devices; dev != NULL; dev = dev->next)
		if (dev->registered && strcmp(dev->name, name) == 0)
			return dev;
	return NULL;
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static void free_device_if_unused(struct mock_device *dev)
{
	if (dev->registered || dev->handles > 0)
		return;
	for (unsigned int i = 0; i < dev->num_lines; i++) {
		close_fd(&dev->lines[i].event_pipe[0]);
		close_fd(&dev->lines[i].event_pipe[1]);
	}
	free(dev->lines);
	free(dev);
}

static void unlink_device(struct mock_device *dev)
{
	for (struct mock_device **p = &mock_devices; *p != NULL; p = &(*p)->next) {
		if (*p == dev) {
			*p = dev->next;
			dev->next = NULL;
			return;
		}
	}
}

static bool is_event_request(int request_type)
{
	return request_type == GPIOD_LINE_REQUEST_EVENT_RISING_EDGE ||
	       request_type == GPIOD_LINE_REQUEST_EVENT_FALLING_EDGE ||
	       request_type == GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES;
}

static int active_low(const struct mock_line *ml)
{
	return (ml->flags & GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW) ? 1 : 0;
}

static int physical_input(const struct mock_line *ml)
{
	if (ml->input_level >= 0)
		return ml->input_level;
	return (ml->flags & GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP) ? 1 : 0;
}

static uint64_t monotonic_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The mock line behind a handle's line, or NULL with errno (ENODEV when gone). */
static struct mock_line *line_state(struct gpiod_line *line)
{
	struct mock_device *dev = line->chip->dev;
	if (dev->gone) {
		errno = ENODEV;
		return NULL;
	}
	return &dev->lines[line->offset];
}

static void release_locked(struct gpiod_line *line)
{
	if (!line->requested)
		return;
	struct mock_line *ml = &line->chip->dev->lines[line->offset];
	close_fd(&ml->event_pipe[0]);
	close_fd(&ml->event_pipe[1]);
	ml->holder = HOLDER_NONE;
	ml->consumer[0] = '\0';
	ml->request_type = GPIOD_MOCK_REQUEST_NONE;
	ml->flags = 0;
	line->requested = false;
}

static struct gpiod_chip *open_device_locked(struct mock_device *dev)
{
	if (dev == NULL || dev->gone) {
		errno = ENOENT;
		return NULL;
	}
	struct gpiod_chip *chip = calloc(1, sizeof(*chip));
	struct gpiod_line *lines = calloc(dev->num_lines ? dev->num_lines : 1, sizeof(*lines));
	if (chip == NULL || lines == NULL) {
		free(chip);
		free(lines);
		errno = ENOMEM;
		return NULL;
	}
	for (unsigned int i = 0; i < dev->num_lines; i++) {
		lines[i].chip = chip;
		lines[i].offset = i;
	}
	chip->dev = dev;
	chip->lines = lines;
	copy_name(chip->name, dev->name);
	copy_name(chip->label, dev->label);
	dev->handles++;
	return chip;
}

/* ---------------------------------------------------------------- chips */

struct gpiod_chip *gpiod_chip_open(const char *path)
{
	FORWARD(struct gpiod_chip *, (const char *), gpiod_chip_open, path);
	if (path == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if (strncmp(path, "/dev/", 5) != 0) {
		errno = ENOENT;
		return NULL;
	}
	pthread_mutex_lock(&mock_lock);
	struct gpiod_chip *chip = open_device_locked(find_device(path + 5));
	int saved = errno;
	pthread_mutex_unlock(&mock_lock);
	errno = saved;
	return chip;
}

struct gpiod_chip *gpiod_chip_open_by_name(const char *name)
{
	FORWARD(struct gpiod_chip *, (const char *), gpiod_chip_open_by_name, name);
	char path[MOCK_NAME_MAX + 8];
	snprintf(path, sizeof(path), "/dev/%s", name ? name : "");
	return gpiod_chip_open(path);
}

struct gpiod_chip *gpiod_chip_open_by_number(unsigned int num)
{
	FORWARD(struct gpiod_chip *, (unsigned int), gpiod_chip_open_by_number, num);
	char path[MOCK_NAME_MAX + 8];
	snprintf(path, sizeof(path), "/dev/gpiochip%u", num);
	return gpiod_chip_open(path);
}

struct gpiod_chip *gpiod_chip_open_by_label(const char *label)
{
	FORWARD(struct gpiod_chip *, (const char *), gpiod_chip_open_by_label, label);
	pthread_mutex_lock(&mock_lock);
	struct mock_device *found = NULL;
	for (struct mock_device *dev = mock_devices; dev != NULL; dev = dev->next)
		if (dev->registered && !dev->gone && label && strcmp(dev->label, label) == 0)
			found = dev;
	struct gpiod_chip *chip = open_device_locked(found);
	int saved = errno;
	pthread_mutex_unlock(&mock_lock);
	errno = saved;
	return chip;
}

void gpiod_chip_close(struct gpiod_chip *chip)
{
	FORWARD_VOID((struct gpiod_chip *), gpiod_chip_close, chip);
	if (chip == NULL)
		return;
	pthread_mutex_lock(&mock_lock);
	struct mock_device *dev = chip->dev;
	for (unsigned int i = 0; i < dev->num_lines; i++)
		release_locked(&chip->lines[i]);
	dev->handles--;
	free_device_if_unused(dev);
	pthread_mutex_unlock(&mock_lock);
	free(chip->lines);
	free(chip);
}

const char *gpiod_chip_name(struct gpiod_chip *chip)
{
	FORWARD(const char *, (struct gpiod_chip *), gpiod_chip_name, chip);
	return chip->name;
}

const char *gpiod_chip_label(struct gpiod_chip *chip)
{
	FORWARD(const char *, (struct gpiod_chip *), gpiod_chip_label, chip);
	return chip->label;
}

unsigned int gpiod_chip_num_lines(struct gpiod_chip *chip)
{
	FORWARD(unsigned int, (struct gpiod_chip *), gpiod_chip_num_lines, chip);
	return chip->dev->num_lines;
}

struct gpiod_line *gpiod_chip_get_line(struct gpiod_chip *chip, unsigned int offset)
{
	FORWARD(struct gpiod_line *, (struct gpiod_chip *, unsigned int), gpiod_chip_get_line,
		chip, offset);
	pthread_mutex_lock(&mock_lock);
	struct gpiod_line *line = NULL;
	int err = 0;
	if (chip->dev->gone)
		err = ENODEV;
	else if (offset >= chip->dev->num_lines)
		err = EINVAL;
	else
		line = &chip->lines[offset];
	pthread_mutex_unlock(&mock_lock);
	if (err)
		errno = err;
	return line;
}

struct gpiod_line *gpiod_chip_find_line(struct gpiod_chip *chip, const char *name)
{
	FORWARD(struct gpiod_line *, (struct gpiod_chip *, const char *), gpiod_chip_find_line,
		chip, name);
	pthread_mutex_lock(&mock_lock);
	struct gpiod_line *line = NULL;
	int err = ENOENT;
	if (chip->dev->gone) {
		err = ENODEV;
	} else if (name != NULL && name[0] != '\0') {
		for (unsigned int i = 0; i < chip->dev->num_lines; i++) {
			if (strcmp(chip->dev->lines[i].name, name) == 0) {
				line = &chip->lines[i];
				break;
			}
		}
	}
	pthread_mutex_unlock(&mock_lock);
	if (line == NULL)
		errno = err;
	return line;
}

/* ---------------------------------------------------------------- chip iterator */

struct gpiod_chip_iter *gpiod_chip_iter_new(void)
{
	FORWARD_NOARGS(struct gpiod_chip_iter *, gpiod_chip_iter_new);
	struct gpiod_chip_iter *iter = calloc(1, sizeof(*iter));
	if (iter == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_lock(&mock_lock);
	unsigned int count = 0;
	for (struct mock_device *dev = mock_devices; dev != NULL; dev = dev->next)
		if (dev->registered && !dev->gone)
			count++;
	iter->chips = calloc(count ? count : 1, sizeof(*iter->chips));
	if (iter->chips == NULL) {
		pthread_mutex_unlock(&mock_lock);
		free(iter);
		errno = ENOMEM;
		return NULL;
	}
	for (struct mock_device *dev = mock_devices; dev != NULL; dev = dev->next) {
		if (!dev->registered || dev->gone)
			continue;
		struct gpiod_chip *chip = open_device_locked(dev);
		if (chip != NULL)
			iter->chips[iter->num_chips++] = chip;
	}
	pthread_mutex_unlock(&mock_lock);
	return iter;
}

struct gpiod_chip *gpiod_chip_iter_next_noclose(struct gpiod_chip_iter *iter)
{
	FORWARD(struct gpiod_chip *, (struct gpiod_chip_iter *), gpiod_chip_iter_next_noclose,
		iter);
	if (iter->offset >= iter->num_chips)
		return NULL;
	return iter->chips[iter->offset++];
}

struct gpiod_chip *gpiod_chip_iter_next(struct gpiod_chip_iter *iter)
{
	FORWARD(struct gpiod_chip *, (struct gpiod_chip_iter *), gpiod_chip_iter_next, iter);
	if (iter->offset > 0 && iter->chips[iter->offset - 1] != NULL) {
		gpiod_chip_close(iter->chips[iter->offset - 1]);
		iter->chips[iter->offset - 1] = NULL;
	}
	return gpiod_chip_iter_next_noclose(iter);
}

void gpiod_chip_iter_free_noclose(struct gpiod_chip_iter *iter)
{
	FORWARD_VOID((struct gpiod_chip_iter *), gpiod_chip_iter_free_noclose, iter);
	if (iter == NULL)
		return;
	for (unsigned int i = iter->offset; i < iter->num_chips; i++)
		if (iter->chips[i] != NULL)
			gpiod_chip_close(iter->chips[i]);
	free(iter->chips);
	free(iter);
}

void gpiod_chip_iter_free(struct gpiod_chip_iter *iter)
{
	FORWARD_VOID((struct gpiod_chip_iter *), gpiod_chip_iter_free, iter);
	if (iter == NULL)
		return;
	if (iter->offset > 0 && iter->chips[iter->offset - 1] != NULL)
		gpiod_chip_close(iter->chips[iter->offset - 1]);
	gpiod_chip_iter_free_noclose(iter);
}

/* ---------------------------------------------------------------- line info */

unsigned int gpiod_line_offset(struct gpiod_line *line)
{
	FORWARD(unsigned int, (struct gpiod_line *), gpiod_line_offset, line);
	return line->offset;
}

const char *gpiod_line_name(struct gpiod_line *line)
{
	FORWARD(const char *, (struct gpiod_line *), gpiod_line_name, line);
	/* Names are fixed at creation: the device outlives its handles, so this is stable. */
	const char *name = line->chip->dev->lines[line->offset].name;
	return name[0] != '\0' ? name : NULL;
}

const char *gpiod_line_consumer(struct gpiod_line *line)
{
	FORWARD(const char *, (struct gpiod_line *), gpiod_line_consumer, line);
	pthread_mutex_lock(&mock_lock);
	struct mock_line *ml = &line->chip->dev->lines[line->offset];
	copy_name(line->consumer, ml->holder != HOLDER_NONE ? ml->consumer : "");
	pthread_mutex_unlock(&mock_lock);
	return line->consumer[0] != '\0' ? line->consumer : NULL;
}

int gpiod_line_direction(struct gpiod_line *line)
{
	FORWARD(int, (struct gpiod_line *), gpiod_line_direction, line);
	pthread_mutex_lock(&mock_lock);
	int type = line->chip->dev->lines[line->offset].request_type;
	pthread_mutex_unlock(&mock_lock);
	return type == GPIOD_LINE_REQUEST_DIRECTION_OUTPUT ? GPIOD_LINE_DIRECTION_OUTPUT
							   : GPIOD_LINE_DIRECTION_INPUT;
}

static int line_flags(struct gpiod_line *line)
{
	pthread_mutex_lock(&mock_lock);
	int flags = line->chip->dev->lines[line->offset].flags;
	pthread_mutex_unlock(&mock_lock);
	return flags;
}

int gpiod_line_active_state(struct gpiod_line *line)
{
	FORWARD(int, (struct gpiod_line *), gpiod_line_active_state, line);
	return (line_flags(line) & GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW)
		       ? GPIOD_LINE_ACTIVE_STATE_LOW
		       : GPIOD_LINE_ACTIVE_STATE_HIGH;
}

int gpiod_line_bias(struct gpiod_line *line)
{
	FORWARD(int, (struct gpiod_line *), gpiod_line_bias, line);
	int flags = line_flags(line);
	if (flags & GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE)
		return GPIOD_LINE_BIAS_DISABLE;
	if (flags & GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP)
		return GPIOD_LINE_BIAS_PULL_UP;
	if (flags & GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN)
		return GPIOD_LINE_BIAS_PULL_DOWN;
	return GPIOD_LINE_BIAS_AS_IS;
}

bool gpiod_line_is_used(struct gpiod_line *line)
{
	FORWARD(bool, (struct gpiod_line *), gpiod_line_is_used, line);
	pthread_mutex_lock(&mock_lock);
	bool used = line->chip->dev->lines[line->offset].holder != HOLDER_NONE;
	pthread_mutex_unlock(&mock_lock);
	return used;
}

bool gpiod_line_is_open_drain(struct gpiod_line *line)
{
	FORWARD(bool, (struct gpiod_line *), gpiod_line_is_open_drain, line);
	return (line_flags(line) & GPIOD_LINE_REQUEST_FLAG_OPEN_DRAIN) != 0;
}

bool gpiod_line_is_open_source(struct gpiod_line *line)
{
	FORWARD(bool, (struct gpiod_line *), gpiod_line_is_open_source, line);
	return (line_flags(line) & GPIOD_LINE_REQUEST_FLAG_OPEN_SOURCE) != 0;
}

int gpiod_line_update(struct gpiod_line *line)
{
	FORWARD(int, (struct gpiod_line *), gpiod_line_update, line);
	pthread_mutex_lock(&mock_lock);
	bool gone = line->chip->dev->gone;
	pthread_mutex_unlock(&mock_lock);
	if (gone) {
		errno = ENODEV;
		return -1;
	}
	return 0;
}

struct gpiod_chip *gpiod_line_get_chip(struct gpiod_line *line)
{
	FORWARD(struct gpiod_chip *, (struct gpiod_line *), gpiod_line_get_chip, line);
	return line->chip;
}

/* ---------------------------------------------------------------- requests */

static int validate_request(const struct gpiod_line_request_config *config)
{
	int type = config->request_type;
	int flags = config->flags;
	if (type < GPIOD_LINE_REQUEST_DIRECTION_AS_IS || type > GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES)
		return EINVAL;
	int drive = flags & (GPIOD_LINE_REQUEST_FLAG_OPEN_DRAIN | GPIOD_LINE_REQUEST_FLAG_OPEN_SOURCE);
	if (drive == (GPIOD_LINE_REQUEST_FLAG_OPEN_DRAIN | GPIOD_LINE_REQUEST_FLAG_OPEN_SOURCE))
		return EINVAL;
	if (drive != 0 && type != GPIOD_LINE_REQUEST_DIRECTION_OUTPUT)
		return EINVAL;
	int bias = flags & (GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE |
			    GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN | GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP);
	if (bias != 0 && (bias & (bias - 1)) != 0)
		return EINVAL;
	if (flags & ~0x3f)
		return EINVAL;
	return 0;
}

int gpiod_line_request(struct gpiod_line *line, const struct gpiod_line_request_config *config,
		       int default_val)
{
	FORWARD(int, (struct gpiod_line *, const struct gpiod_line_request_config *, int),
		gpiod_line_request, line, config, default_val);
	if (line == NULL || config == NULL) {
		errno = EINVAL;
		return -1;
	}
	int err = validate_request(config);
	if (err) {
		errno = err;
		return -1;
	}
	pthread_mutex_lock(&mock_lock);
	struct mock_line *ml = line_state(line);
	if (ml == NULL) {
		err = errno;
	} else if (line->requested || ml->holder != HOLDER_NONE) {
		err = EBUSY;
	} else if (is_event_request(config->request_type)) {
		int fds[2];
		if (pipe2(fds, O_CLOEXEC) != 0) {
			err = errno;
		} else {
			fcntl(fds[1], F_SETFL, O_NONBLOCK); /* a full queue drops events, as the kernel does */
			ml->event_pipe[0] = fds[0];
			ml->event_pipe[1] = fds[1];
		}
	}
	if (err == 0) {
		ml->holder = HOLDER_BINDING;
		copy_name(ml->consumer, config->consumer ? config->consumer : "?");
		ml->request_type = config->request_type;
		ml->flags = config->flags;
		ml->has_timestamp = false;
		ml->event_count = 0;
		if (config->request_type == GPIOD_LINE_REQUEST_DIRECTION_OUTPUT)
			ml->output_level = (default_val != 0) ^ active_low(ml);
		line->requested = true;
	}
	pthread_mutex_unlock(&mock_lock);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

void gpiod_line_release(struct gpiod_line *line)
{
	FORWARD_VOID((struct gpiod_line *), gpiod_line_release, line);
	if (line == NULL)
		return;
	pthread_mutex_lock(&mock_lock);
	release_locked(line);
	pthread_mutex_unlock(&mock_lock);
}

bool gpiod_line_is_requested(struct gpiod_line *line)
{
	FORWARD(bool, (struct gpiod_line *), gpiod_line_is_requested, line);
	pthread_mutex_lock(&mock_lock);
	bool requested = line->requested;
	pthread_mutex_unlock(&mock_lock);
	return requested;
}

bool gpiod_line_is_free(struct gpiod_line *line)
{
	FORWARD(bool, (struct gpiod_line *), gpiod_line_is_free, line);
	return !gpiod_line_is_requested(line);
}

/* ---------------------------------------------------------------- values */

int gpiod_line_get_value(struct gpiod_line *line)
{
	FORWARD(int, (struct gpiod_line *), gpiod_line_get_value, line);
	pthread_mutex_lock(&mock_lock);
	int value = -1;
	int err = 0;
	struct mock_line *ml = line_state(line);
	if (ml == NULL)
		err = errno;
	else if (!line->requested)
		err = EPERM;
	else if (ml->request_type == GPIOD_LINE_REQUEST_DIRECTION_OUTPUT)
		value = ml->output_level ^ active_low(ml);
	else
		value = physical_input(ml) ^ active_low(ml);
	pthread_mutex_unlock(&mock_lock);
	if (err)
		errno = err;
	return value;
}

int gpiod_line_set_value(struct gpiod_line *line, int value)
{
	FORWARD(int, (struct gpiod_line *, int), gpiod_line_set_value, line, value);
	pthread_mutex_lock(&mock_lock);
	int err = 0;
	struct mock_line *ml = line_state(line);
	if (ml == NULL)
		err = errno;
	else if (!line->requested || ml->request_type != GPIOD_LINE_REQUEST_DIRECTION_OUTPUT)
		err = EPERM;
	else
		ml->output_level = (value != 0) ^ active_low(ml);
	pthread_mutex_unlock(&mock_lock);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- events */

/* The read end of a requested event line's pipe, or -1 with errno. */
static int event_fd_locked(struct gpiod_line *line)
{
	struct mock_line *ml = line_state(line);
	if (ml == NULL)
		return -1;
	if (!line->requested || !is_event_request(ml->request_type) || ml->event_pipe[0] < 0) {
		errno = EPERM;
		return -1;
	}
	return ml->event_pipe[0];
}

int gpiod_line_event_get_fd(struct gpiod_line *line)
{
	FORWARD(int, (struct gpiod_line *), gpiod_line_event_get_fd, line);
	pthread_mutex_lock(&mock_lock);
	int fd = event_fd_locked(line);
	int saved = errno;
	pthread_mutex_unlock(&mock_lock);
	errno = saved;
	return fd;
}

static bool device_gone(struct gpiod_line *line)
{
	pthread_mutex_lock(&mock_lock);
	bool gone = line->chip->dev->gone;
	pthread_mutex_unlock(&mock_lock);
	return gone;
}

int gpiod_line_event_wait(struct gpiod_line *line, const struct timespec *timeout)
{
	FORWARD(int, (struct gpiod_line *, const struct timespec *), gpiod_line_event_wait,
		line, timeout);
	int fd = gpiod_line_event_get_fd(line);
	if (fd < 0)
		return -1;
	/* Blocks without the lock, like the real library's ppoll(). */
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLPRI, .revents = 0 };
	int rv = ppoll(&pfd, 1, timeout, NULL);
	if (rv < 0)
		return -1;
	if (device_gone(line)) {
		errno = ENODEV;
		return -1;
	}
	if (rv == 0)
		return 0;
	if (pfd.revents & POLLNVAL) {
		errno = EINVAL;
		return -1;
	}
	return 1;
}

int gpiod_line_event_read_fd_multiple(int fd, struct gpiod_line_event *events,
				      unsigned int num_events)
{
	FORWARD(int, (int, struct gpiod_line_event *, unsigned int),
		gpiod_line_event_read_fd_multiple, fd, events, num_events);
	if (events == NULL || num_events == 0) {
		errno = EINVAL;
		return -1;
	}
	/* Each event was written whole (sizeof < PIPE_BUF, so atomically): whole events come back. */
	ssize_t rd;
	do {
		rd = read(fd, events, (size_t)num_events * sizeof(*events));
	} while (rd < 0 && errno == EINTR);
	if (rd < 0)
		return -1;
	if (rd == 0) { /* write end closed: the chip disappeared */
		errno = ENODEV;
		return -1;
	}
	if ((size_t)rd % sizeof(*events) != 0) {
		errno = EIO;
		return -1;
	}
	return (int)((size_t)rd / sizeof(*events));
}

int gpiod_line_event_read_fd(int fd, struct gpiod_line_event *event)
{
	FORWARD(int, (int, struct gpiod_line_event *), gpiod_line_event_read_fd, fd, event);
	return gpiod_line_event_read_fd_multiple(fd, event, 1) == 1 ? 0 : -1;
}

int gpiod_line_event_read_multiple(struct gpiod_line *line, struct gpiod_line_event *events,
				   unsigned int num_events)
{
	FORWARD(int, (struct gpiod_line *, struct gpiod_line_event *, unsigned int),
		gpiod_line_event_read_multiple, line, events, num_events);
	int fd = gpiod_line_event_get_fd(line);
	if (fd < 0)
		return -1;
	int n = gpiod_line_event_read_fd_multiple(fd, events, num_events);
	if (n < 0 && device_gone(line))
		errno = ENODEV;
	return n;
}

int gpiod_line_event_read(struct gpiod_line *line, struct gpiod_line_event *event)
{
	FORWARD(int, (struct gpiod_line *, struct gpiod_line_event *), gpiod_line_event_read,
		line, event);
	return gpiod_line_event_read_multiple(line, event, 1) == 1 ? 0 : -1;
}

const char *gpiod_version_string(void)
{
	FORWARD_NOARGS(const char *, gpiod_version_string);
	return "1.6.3-ironbridge-mock";
}

/* ---------------------------------------------------------------- test control */

/* Looks up a device and line for a control function; lock held on success only. */
static struct mock_line *control_line(const char *chip, unsigned int offset,
				      struct mock_device **dev_out)
{
	if (mock_forwarding()) {
		errno = ENOTSUP;
		return NULL;
	}
	pthread_mutex_lock(&mock_lock);
	struct mock_device *dev = find_device(chip);
	if (dev == NULL || offset >= dev->num_lines) {
		pthread_mutex_unlock(&mock_lock);
		errno = dev == NULL ? ENOENT : EINVAL;
		return NULL;
	}
	if (dev_out)
		*dev_out = dev;
	return &dev->lines[offset];
}

int gpiod_mock_chip_create(const char *name, const char *label, unsigned int num_lines,
			   const char *line_names)
{
	if (mock_forwarding()) {
		errno = ENOTSUP;
		return -1;
	}
	if (name == NULL || name[0] == '\0' || strlen(name) >= MOCK_NAME_MAX) {
		errno = EINVAL;
		return -1;
	}
	struct mock_device *dev = calloc(1, sizeof(*dev));
	struct mock_line *lines = calloc(num_lines ? num_lines : 1, sizeof(*lines));
	if (dev == NULL || lines == NULL) {
		free(dev);
		free(lines);
		errno = ENOMEM;
		return -1;
	}
	copy_name(dev->name, name);
	copy_name(dev->label, label);
	dev->num_lines = num_lines;
	dev->lines = lines;
	dev->registered = true;
	const char *cursor = line_names;
	for (unsigned int i = 0; i < num_lines; i++) {
		lines[i].input_level = -1;
		lines[i].event_pipe[0] = lines[i].event_pipe[1] = -1;
		if (cursor != NULL) {
			const char *comma = strchr(cursor, ',');
			size_t len = comma ? (size_t)(comma - cursor) : strlen(cursor);
			if (len >= MOCK_NAME_MAX)
				len = MOCK_NAME_MAX - 1;
			memcpy(lines[i].name, cursor, len);
			lines[i].name[len] = '\0';
			cursor = comma ? comma + 1 : NULL;
		}
	}
	pthread_mutex_lock(&mock_lock);
	if (find_device(name) != NULL) {
		pthread_mutex_unlock(&mock_lock);
		free(lines);
		free(dev);
		errno = EEXIST;
		return -1;
	}
	dev->next = mock_devices;
	mock_devices = dev;
	pthread_mutex_unlock(&mock_lock);
	return 0;
}

static void disappear_locked(struct mock_device *dev)
{
	dev->gone = true;
	/* Closing the write ends wakes every waiter with POLLHUP. */
	for (unsigned int i = 0; i < dev->num_lines; i++)
		close_fd(&dev->lines[i].event_pipe[1]);
}

int gpiod_mock_chip_remove(const char *name)
{
	if (mock_forwarding()) {
		errno = ENOTSUP;
		return -1;
	}
	pthread_mutex_lock(&mock_lock);
	struct mock_device *dev = find_device(name);
	if (dev == NULL) {
		pthread_mutex_unlock(&mock_lock);
		errno = ENOENT;
		return -1;
	}
	disappear_locked(dev);
	unlink_device(dev);
	dev->registered = false;
	free_device_if_unused(dev);
	pthread_mutex_unlock(&mock_lock);
	return 0;
}

int gpiod_mock_chip_disappear(const char *name)
{
	if (mock_forwarding()) {
		errno = ENOTSUP;
		return -1;
	}
	pthread_mutex_lock(&mock_lock);
	struct mock_device *dev = find_device(name);
	if (dev != NULL)
		disappear_locked(dev);
	pthread_mutex_unlock(&mock_lock);
	if (dev == NULL) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

int gpiod_mock_chip_open_handles(const char *name)
{
	if (mock_forwarding()) {
		errno = ENOTSUP;
		return -1;
	}
	pthread_mutex_lock(&mock_lock);
	struct mock_device *dev = find_device(name);
	int handles = dev ? dev->handles : -1;
	pthread_mutex_unlock(&mock_lock);
	if (dev == NULL)
		errno = ENOENT;
	return handles;
}

int gpiod_mock_set_input_level_at(const char *chip, unsigned int offset, int level,
				  uint64_t timestamp_ns)
{
	struct mock_device *dev = NULL;
	struct mock_line *ml = control_line(chip, offset, &dev);
	if (ml == NULL)
		return -1;
	int before = physical_input(ml) ^ active_low(ml);
	ml->input_level = level != 0;
	int after = physical_input(ml) ^ active_low(ml);
	bool events = ml->holder == HOLDER_BINDING && is_event_request(ml->request_type) &&
		      !dev->gone && ml->event_pipe[1] >= 0;
	if (events && before != after) {
		int type = after ? GPIOD_LINE_EVENT_RISING_EDGE : GPIOD_LINE_EVENT_FALLING_EDGE;
		bool wanted = ml->request_type == GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES ||
			      (type == GPIOD_LINE_EVENT_RISING_EDGE &&
			       ml->request_type == GPIOD_LINE_REQUEST_EVENT_RISING_EDGE) ||
			      (type == GPIOD_LINE_EVENT_FALLING_EDGE &&
			       ml->request_type == GPIOD_LINE_REQUEST_EVENT_FALLING_EDGE);
		if (wanted) {
			struct gpiod_line_event event;
			memset(&event, 0, sizeof(event));
			event.ts.tv_sec = (time_t)(timestamp_ns / 1000000000u);
			event.ts.tv_nsec = (long)(timestamp_ns % 1000000000u);
			event.event_type = type;
			if (write(ml->event_pipe[1], &event, sizeof(event)) == (ssize_t)sizeof(event)) {
				ml->last_timestamp = timestamp_ns;
				ml->has_timestamp = true;
				ml->event_count++;
			}
		}
	}
	pthread_mutex_unlock(&mock_lock);
	return 0;
}

int gpiod_mock_set_input_level(const char *chip, unsigned int offset, int level)
{
	return gpiod_mock_set_input_level_at(chip, offset, level, monotonic_now_ns());
}

int gpiod_mock_last_event_timestamp(const char *chip, unsigned int offset,
				    uint64_t *timestamp_ns)
{
	struct mock_line *ml = control_line(chip, offset, NULL);
	if (ml == NULL)
		return -1;
	bool has = ml->has_timestamp;
	if (has && timestamp_ns != NULL)
		*timestamp_ns = ml->last_timestamp;
	pthread_mutex_unlock(&mock_lock);
	if (!has) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

int gpiod_mock_event_count(const char *chip, unsigned int offset)
{
	struct mock_line *ml = control_line(chip, offset, NULL);
	if (ml == NULL)
		return -1;
	int count = ml->event_count;
	pthread_mutex_unlock(&mock_lock);
	return count;
}

int gpiod_mock_get_output_level(const char *chip, unsigned int offset)
{
	struct mock_line *ml = control_line(chip, offset, NULL);
	if (ml == NULL)
		return -1;
	bool output = ml->holder == HOLDER_BINDING &&
		      ml->request_type == GPIOD_LINE_REQUEST_DIRECTION_OUTPUT;
	int level = ml->output_level;
	pthread_mutex_unlock(&mock_lock);
	if (!output) {
		errno = EPERM;
		return -1;
	}
	return level;
}

int gpiod_mock_line_is_requested(const char *chip, unsigned int offset)
{
	struct mock_line *ml = control_line(chip, offset, NULL);
	if (ml == NULL)
		return -1;
	int requested = ml->holder != HOLDER_NONE;
	pthread_mutex_unlock(&mock_lock);
	return requested;
}

int gpiod_mock_line_consumer(const char *chip, unsigned int offset, char *buf, size_t len)
{
	struct mock_line *ml = control_line(chip, offset, NULL);
	if (ml == NULL)
		return -1;
	int requested = ml->holder != HOLDER_NONE;
	if (buf != NULL && len > 0)
		snprintf(buf, len, "%s", requested ? ml->consumer : "");
	pthread_mutex_unlock(&mock_lock);
	return requested;
}

int gpiod_mock_line_request_type(const char *chip, unsigned int offset)
{
	struct mock_line *ml = control_line(chip, offset, NULL);
	if (ml == NULL)
		return -1;
	int type = ml->holder == HOLDER_BINDING ? ml->request_type : GPIOD_MOCK_REQUEST_NONE;
	pthread_mutex_unlock(&mock_lock);
	return type;
}

int gpiod_mock_line_flags(const char *chip, unsigned int offset)
{
	struct mock_line *ml = control_line(chip, offset, NULL);
	if (ml == NULL)
		return -1;
	int flags = ml->holder == HOLDER_BINDING ? ml->flags : 0;
	pthread_mutex_unlock(&mock_lock);
	return flags;
}

int gpiod_mock_set_line_busy(const char *chip, unsigned int offset, const char *consumer)
{
	struct mock_line *ml = control_line(chip, offset, NULL);
	if (ml == NULL)
		return -1;
	int err = 0;
	if (ml->holder == HOLDER_BINDING) {
		err = EBUSY;
	} else if (consumer != NULL) {
		ml->holder = HOLDER_OTHER;
		copy_name(ml->consumer, consumer);
		ml->request_type = GPIOD_MOCK_REQUEST_NONE;
		ml->flags = 0;
	} else {
		ml->holder = HOLDER_NONE;
		ml->consumer[0] = '\0';
	}
	pthread_mutex_unlock(&mock_lock);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}
