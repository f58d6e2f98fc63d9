/*
 * gpiod_mock_v1.c - the libgpiod 1.6 (v1) API of the mocked libgpiod; see gpiod_mock.h.
 *
 * Implements the gpiod_* functions IronbridgeGPIO's v1 backend calls (and a few
 * neighbours), with the errno conventions of the real library and the kernel beneath
 * it. When IRONBRIDGE_GPIO_TEST_CHIP is set, every gpiod_* function forwards to the real
 * library instead. Compiled only when the build uses libgpiod 1.x.
 */
#include "mock_core.h"

#ifndef IRONBRIDGE_LIBGPIOD_V2

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
	mock_release_line_locked(&line->chip->dev->lines[line->offset]);
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
	mock_copy_name(chip->name, dev->name);
	mock_copy_name(chip->label, dev->label);
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
	pthread_mutex_lock(&mock_lock);
	struct gpiod_chip *chip = open_device_locked(mock_find_device_by_path_locked(path));
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
	mock_free_device_if_unused_locked(dev);
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
	mock_copy_name(line->consumer, ml->holder != HOLDER_NONE ? ml->consumer : "");
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
	} else if (line->requested) {
		err = EBUSY;
	} else {
		err = mock_take_line_locked(ml, line, config->consumer, config->request_type,
					    config->flags, default_val, 0, GPIOD_MOCK_CLOCK_DEFAULT);
		if (err == 0)
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
		value = ml->output_level ^ mock_active_low(ml);
	else
		value = mock_physical_input(ml) ^ mock_active_low(ml);
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
		ml->output_level = (value != 0) ^ mock_active_low(ml);
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
	if (!line->requested || !mock_is_event_request(ml->request_type) || ml->event_pipe[0] < 0) {
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
	struct mock_event raw[64];
	int n = mock_read_events(fd, raw, num_events < 64 ? num_events : 64);
	for (int i = 0; i < n; i++) {
		memset(&events[i], 0, sizeof(events[i]));
		events[i].ts.tv_sec = (time_t)(raw[i].timestamp_ns / 1000000000u);
		events[i].ts.tv_nsec = (long)(raw[i].timestamp_ns % 1000000000u);
		events[i].event_type = raw[i].rising ? GPIOD_LINE_EVENT_RISING_EDGE
						     : GPIOD_LINE_EVENT_FALLING_EDGE;
	}
	return n;
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


#endif /* !IRONBRIDGE_LIBGPIOD_V2 */
