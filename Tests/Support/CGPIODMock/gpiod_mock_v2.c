/*
 * gpiod_mock_v2.c - the libgpiod 2.x (v2) API of the mocked libgpiod; see gpiod_mock.h.
 *
 * Implements the gpiod_* functions IronbridgeGPIO's v2 backend calls: chips and their
 * info, line info, line settings, line and request configs, line requests (one line per
 * request) with their file descriptor, edge event buffers, and gpiod_is_gpiochip_device.
 * Settings map onto the same mock line state as v1 (GPIOD_MOCK_REQUEST_*, GPIOD_MOCK_FLAG_*),
 * plus the kernel debounce period and the event clock. When IRONBRIDGE_GPIO_TEST_CHIP is
 * set, every function forwards to the real library. Compiled only for libgpiod 2.x.
 */
#include "mock_core.h"

#ifdef IRONBRIDGE_LIBGPIOD_V2

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MOCK_MAX_SETTINGS 64

struct gpiod_chip {
	struct mock_device *dev;
	char path[128];
};

struct gpiod_chip_info {
	char name[MOCK_NAME_MAX];
	char label[MOCK_NAME_MAX];
	size_t num_lines;
};

struct gpiod_line_info {
	unsigned int offset;
	char name[MOCK_NAME_MAX];
	char consumer[MOCK_NAME_MAX];
	bool used;
	int request_type;
	int flags;
	unsigned long debounce_us;
	int event_clock;
};

struct gpiod_line_settings {
	enum gpiod_line_direction direction;
	enum gpiod_line_edge edge;
	enum gpiod_line_bias bias;
	enum gpiod_line_drive drive;
	enum gpiod_line_clock clock;
	enum gpiod_line_value output;
	bool active_low;
	unsigned long debounce_us;
};

struct gpiod_line_config {
	unsigned int offsets[MOCK_MAX_SETTINGS];
	struct gpiod_line_settings settings[MOCK_MAX_SETTINGS];
	size_t count;
};

struct gpiod_request_config {
	char consumer[MOCK_NAME_MAX];
	size_t event_buffer_size;
};

struct gpiod_line_request {
	struct mock_device *dev;
	unsigned int offset;
	char chip_name[MOCK_NAME_MAX];
	int fd; /* the line's event pipe read end, or -1 */
};

struct gpiod_edge_event {
	enum gpiod_edge_event_type type;
	uint64_t timestamp_ns;
	unsigned int offset;
	unsigned long line_seqno;
};

struct gpiod_edge_event_buffer {
	size_t capacity;
	size_t num_events;
	struct gpiod_edge_event *events;
};

/* ---------------------------------------------------------------- chips */

bool gpiod_is_gpiochip_device(const char *path)
{
	FORWARD(bool, (const char *), gpiod_is_gpiochip_device, path);
	pthread_mutex_lock(&mock_lock);
	struct mock_device *dev = mock_find_device_by_path_locked(path);
	bool found = dev != NULL && !dev->gone;
	pthread_mutex_unlock(&mock_lock);
	return found;
}

struct gpiod_chip *gpiod_chip_open(const char *path)
{
	FORWARD(struct gpiod_chip *, (const char *), gpiod_chip_open, path);
	if (path == NULL) {
		errno = EINVAL;
		return NULL;
	}
	struct gpiod_chip *chip = calloc(1, sizeof(*chip));
	if (chip == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_lock(&mock_lock);
	struct mock_device *dev = mock_find_device_by_path_locked(path);
	if (dev == NULL || dev->gone) {
		pthread_mutex_unlock(&mock_lock);
		free(chip);
		errno = ENOENT;
		return NULL;
	}
	dev->handles++;
	chip->dev = dev;
	snprintf(chip->path, sizeof(chip->path), "%s", path);
	pthread_mutex_unlock(&mock_lock);
	return chip;
}

void gpiod_chip_close(struct gpiod_chip *chip)
{
	FORWARD_VOID((struct gpiod_chip *), gpiod_chip_close, chip);
	if (chip == NULL)
		return;
	pthread_mutex_lock(&mock_lock);
	chip->dev->handles--;
	mock_free_device_if_unused_locked(chip->dev);
	pthread_mutex_unlock(&mock_lock);
	free(chip);
}

const char *gpiod_chip_get_path(struct gpiod_chip *chip)
{
	FORWARD(const char *, (struct gpiod_chip *), gpiod_chip_get_path, chip);
	return chip->path;
}

struct gpiod_chip_info *gpiod_chip_get_info(struct gpiod_chip *chip)
{
	FORWARD(struct gpiod_chip_info *, (struct gpiod_chip *), gpiod_chip_get_info, chip);
	struct gpiod_chip_info *info = calloc(1, sizeof(*info));
	if (info == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_lock(&mock_lock);
	bool gone = chip->dev->gone;
	mock_copy_name(info->name, chip->dev->name);
	mock_copy_name(info->label, chip->dev->label);
	info->num_lines = chip->dev->num_lines;
	pthread_mutex_unlock(&mock_lock);
	if (gone) {
		free(info);
		errno = ENODEV;
		return NULL;
	}
	return info;
}

void gpiod_chip_info_free(struct gpiod_chip_info *info)
{
	FORWARD_VOID((struct gpiod_chip_info *), gpiod_chip_info_free, info);
	free(info);
}

const char *gpiod_chip_info_get_name(struct gpiod_chip_info *info)
{
	FORWARD(const char *, (struct gpiod_chip_info *), gpiod_chip_info_get_name, info);
	return info->name;
}

const char *gpiod_chip_info_get_label(struct gpiod_chip_info *info)
{
	FORWARD(const char *, (struct gpiod_chip_info *), gpiod_chip_info_get_label, info);
	return info->label;
}

size_t gpiod_chip_info_get_num_lines(struct gpiod_chip_info *info)
{
	FORWARD(size_t, (struct gpiod_chip_info *), gpiod_chip_info_get_num_lines, info);
	return info->num_lines;
}

int gpiod_chip_get_line_offset_from_name(struct gpiod_chip *chip, const char *name)
{
	FORWARD(int, (struct gpiod_chip *, const char *), gpiod_chip_get_line_offset_from_name,
		chip, name);
	pthread_mutex_lock(&mock_lock);
	int found = -1;
	int err = ENOENT;
	if (chip->dev->gone) {
		err = ENODEV;
	} else if (name != NULL && name[0] != '\0') {
		for (unsigned int i = 0; i < chip->dev->num_lines; i++) {
			if (strcmp(chip->dev->lines[i].name, name) == 0) {
				found = (int)i;
				break;
			}
		}
	}
	pthread_mutex_unlock(&mock_lock);
	if (found < 0)
		errno = err;
	return found;
}

/* ---------------------------------------------------------------- line info */

struct gpiod_line_info *gpiod_chip_get_line_info(struct gpiod_chip *chip, unsigned int offset)
{
	FORWARD(struct gpiod_line_info *, (struct gpiod_chip *, unsigned int),
		gpiod_chip_get_line_info, chip, offset);
	struct gpiod_line_info *info = calloc(1, sizeof(*info));
	if (info == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_lock(&mock_lock);
	int err = 0;
	if (chip->dev->gone) {
		err = ENODEV;
	} else if (offset >= chip->dev->num_lines) {
		err = EINVAL;
	} else {
		struct mock_line *ml = &chip->dev->lines[offset];
		info->offset = offset;
		mock_copy_name(info->name, ml->name);
		info->used = ml->holder != HOLDER_NONE;
		mock_copy_name(info->consumer, info->used ? ml->consumer : "");
		info->request_type = ml->request_type;
		info->flags = ml->flags;
		info->debounce_us = ml->debounce_us;
		info->event_clock = ml->event_clock;
	}
	pthread_mutex_unlock(&mock_lock);
	if (err) {
		free(info);
		errno = err;
		return NULL;
	}
	return info;
}

void gpiod_line_info_free(struct gpiod_line_info *info)
{
	FORWARD_VOID((struct gpiod_line_info *), gpiod_line_info_free, info);
	free(info);
}

unsigned int gpiod_line_info_get_offset(struct gpiod_line_info *info)
{
	FORWARD(unsigned int, (struct gpiod_line_info *), gpiod_line_info_get_offset, info);
	return info->offset;
}

const char *gpiod_line_info_get_name(struct gpiod_line_info *info)
{
	FORWARD(const char *, (struct gpiod_line_info *), gpiod_line_info_get_name, info);
	return info->name[0] != '\0' ? info->name : NULL;
}

bool gpiod_line_info_is_used(struct gpiod_line_info *info)
{
	FORWARD(bool, (struct gpiod_line_info *), gpiod_line_info_is_used, info);
	return info->used;
}

const char *gpiod_line_info_get_consumer(struct gpiod_line_info *info)
{
	FORWARD(const char *, (struct gpiod_line_info *), gpiod_line_info_get_consumer, info);
	return info->consumer[0] != '\0' ? info->consumer : NULL;
}

enum gpiod_line_direction gpiod_line_info_get_direction(struct gpiod_line_info *info)
{
	FORWARD(enum gpiod_line_direction, (struct gpiod_line_info *),
		gpiod_line_info_get_direction, info);
	return info->request_type == GPIOD_MOCK_REQUEST_DIRECTION_OUTPUT ? GPIOD_LINE_DIRECTION_OUTPUT
									   : GPIOD_LINE_DIRECTION_INPUT;
}

enum gpiod_line_edge gpiod_line_info_get_edge_detection(struct gpiod_line_info *info)
{
	FORWARD(enum gpiod_line_edge, (struct gpiod_line_info *),
		gpiod_line_info_get_edge_detection, info);
	switch (info->request_type) {
	case GPIOD_MOCK_REQUEST_EVENT_RISING_EDGE: return GPIOD_LINE_EDGE_RISING;
	case GPIOD_MOCK_REQUEST_EVENT_FALLING_EDGE: return GPIOD_LINE_EDGE_FALLING;
	case GPIOD_MOCK_REQUEST_EVENT_BOTH_EDGES: return GPIOD_LINE_EDGE_BOTH;
	default: return GPIOD_LINE_EDGE_NONE;
	}
}

enum gpiod_line_bias gpiod_line_info_get_bias(struct gpiod_line_info *info)
{
	FORWARD(enum gpiod_line_bias, (struct gpiod_line_info *), gpiod_line_info_get_bias, info);
	if (info->flags & GPIOD_MOCK_FLAG_BIAS_DISABLE)
		return GPIOD_LINE_BIAS_DISABLED;
	if (info->flags & GPIOD_MOCK_FLAG_BIAS_PULL_UP)
		return GPIOD_LINE_BIAS_PULL_UP;
	if (info->flags & GPIOD_MOCK_FLAG_BIAS_PULL_DOWN)
		return GPIOD_LINE_BIAS_PULL_DOWN;
	return GPIOD_LINE_BIAS_UNKNOWN;
}

enum gpiod_line_drive gpiod_line_info_get_drive(struct gpiod_line_info *info)
{
	FORWARD(enum gpiod_line_drive, (struct gpiod_line_info *), gpiod_line_info_get_drive, info);
	if (info->flags & GPIOD_MOCK_FLAG_OPEN_DRAIN)
		return GPIOD_LINE_DRIVE_OPEN_DRAIN;
	if (info->flags & GPIOD_MOCK_FLAG_OPEN_SOURCE)
		return GPIOD_LINE_DRIVE_OPEN_SOURCE;
	return GPIOD_LINE_DRIVE_PUSH_PULL;
}

bool gpiod_line_info_is_active_low(struct gpiod_line_info *info)
{
	FORWARD(bool, (struct gpiod_line_info *), gpiod_line_info_is_active_low, info);
	return (info->flags & GPIOD_MOCK_FLAG_ACTIVE_LOW) != 0;
}

bool gpiod_line_info_is_debounced(struct gpiod_line_info *info)
{
	FORWARD(bool, (struct gpiod_line_info *), gpiod_line_info_is_debounced, info);
	return info->debounce_us > 0;
}

unsigned long gpiod_line_info_get_debounce_period_us(struct gpiod_line_info *info)
{
	FORWARD(unsigned long, (struct gpiod_line_info *), gpiod_line_info_get_debounce_period_us,
		info);
	return info->debounce_us;
}

/* ---------------------------------------------------------------- line settings */

struct gpiod_line_settings *gpiod_line_settings_new(void)
{
	FORWARD_NOARGS(struct gpiod_line_settings *, gpiod_line_settings_new);
	struct gpiod_line_settings *settings = calloc(1, sizeof(*settings));
	if (settings == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	settings->direction = GPIOD_LINE_DIRECTION_AS_IS;
	settings->edge = GPIOD_LINE_EDGE_NONE;
	settings->bias = GPIOD_LINE_BIAS_AS_IS;
	settings->drive = GPIOD_LINE_DRIVE_PUSH_PULL;
	settings->clock = GPIOD_LINE_CLOCK_MONOTONIC;
	settings->output = GPIOD_LINE_VALUE_INACTIVE;
	return settings;
}

void gpiod_line_settings_free(struct gpiod_line_settings *settings)
{
	FORWARD_VOID((struct gpiod_line_settings *), gpiod_line_settings_free, settings);
	free(settings);
}

int gpiod_line_settings_set_direction(struct gpiod_line_settings *settings,
				      enum gpiod_line_direction direction)
{
	FORWARD(int, (struct gpiod_line_settings *, enum gpiod_line_direction),
		gpiod_line_settings_set_direction, settings, direction);
	if (direction < GPIOD_LINE_DIRECTION_AS_IS || direction > GPIOD_LINE_DIRECTION_OUTPUT) {
		errno = EINVAL;
		return -1;
	}
	settings->direction = direction;
	return 0;
}

int gpiod_line_settings_set_edge_detection(struct gpiod_line_settings *settings,
					   enum gpiod_line_edge edge)
{
	FORWARD(int, (struct gpiod_line_settings *, enum gpiod_line_edge),
		gpiod_line_settings_set_edge_detection, settings, edge);
	if (edge < GPIOD_LINE_EDGE_NONE || edge > GPIOD_LINE_EDGE_BOTH) {
		errno = EINVAL;
		return -1;
	}
	settings->edge = edge;
	return 0;
}

int gpiod_line_settings_set_bias(struct gpiod_line_settings *settings, enum gpiod_line_bias bias)
{
	FORWARD(int, (struct gpiod_line_settings *, enum gpiod_line_bias),
		gpiod_line_settings_set_bias, settings, bias);
	if (bias < GPIOD_LINE_BIAS_AS_IS || bias > GPIOD_LINE_BIAS_PULL_DOWN ||
	    bias == GPIOD_LINE_BIAS_UNKNOWN) {
		errno = EINVAL;
		return -1;
	}
	settings->bias = bias;
	return 0;
}

int gpiod_line_settings_set_drive(struct gpiod_line_settings *settings, enum gpiod_line_drive drive)
{
	FORWARD(int, (struct gpiod_line_settings *, enum gpiod_line_drive),
		gpiod_line_settings_set_drive, settings, drive);
	if (drive < GPIOD_LINE_DRIVE_PUSH_PULL || drive > GPIOD_LINE_DRIVE_OPEN_SOURCE) {
		errno = EINVAL;
		return -1;
	}
	settings->drive = drive;
	return 0;
}

void gpiod_line_settings_set_active_low(struct gpiod_line_settings *settings, bool active_low)
{
	FORWARD_VOID((struct gpiod_line_settings *, bool), gpiod_line_settings_set_active_low,
		     settings, active_low);
	settings->active_low = active_low;
}

void gpiod_line_settings_set_debounce_period_us(struct gpiod_line_settings *settings,
						unsigned long period)
{
	FORWARD_VOID((struct gpiod_line_settings *, unsigned long),
		     gpiod_line_settings_set_debounce_period_us, settings, period);
	settings->debounce_us = period;
}

int gpiod_line_settings_set_event_clock(struct gpiod_line_settings *settings,
					enum gpiod_line_clock event_clock)
{
	FORWARD(int, (struct gpiod_line_settings *, enum gpiod_line_clock),
		gpiod_line_settings_set_event_clock, settings, event_clock);
	if (event_clock < GPIOD_LINE_CLOCK_MONOTONIC || event_clock > GPIOD_LINE_CLOCK_HTE) {
		errno = EINVAL;
		return -1;
	}
	settings->clock = event_clock;
	return 0;
}

int gpiod_line_settings_set_output_value(struct gpiod_line_settings *settings,
					 enum gpiod_line_value value)
{
	FORWARD(int, (struct gpiod_line_settings *, enum gpiod_line_value),
		gpiod_line_settings_set_output_value, settings, value);
	if (value != GPIOD_LINE_VALUE_INACTIVE && value != GPIOD_LINE_VALUE_ACTIVE) {
		errno = EINVAL;
		return -1;
	}
	settings->output = value;
	return 0;
}

/* ---------------------------------------------------------------- line and request configs */

struct gpiod_line_config *gpiod_line_config_new(void)
{
	FORWARD_NOARGS(struct gpiod_line_config *, gpiod_line_config_new);
	struct gpiod_line_config *config = calloc(1, sizeof(*config));
	if (config == NULL)
		errno = ENOMEM;
	return config;
}

void gpiod_line_config_free(struct gpiod_line_config *config)
{
	FORWARD_VOID((struct gpiod_line_config *), gpiod_line_config_free, config);
	free(config);
}

int gpiod_line_config_add_line_settings(struct gpiod_line_config *config,
					const unsigned int *offsets, size_t num_offsets,
					struct gpiod_line_settings *settings)
{
	FORWARD(int, (struct gpiod_line_config *, const unsigned int *, size_t,
		      struct gpiod_line_settings *),
		gpiod_line_config_add_line_settings, config, offsets, num_offsets, settings);
	if (offsets == NULL || num_offsets == 0 || config->count + num_offsets > MOCK_MAX_SETTINGS) {
		errno = config->count + num_offsets > MOCK_MAX_SETTINGS ? E2BIG : EINVAL;
		return -1;
	}
	for (size_t i = 0; i < num_offsets; i++) {
		config->offsets[config->count] = offsets[i];
		if (settings != NULL)
			config->settings[config->count] = *settings;
		else
			memset(&config->settings[config->count], 0, sizeof(*settings));
		config->count++;
	}
	return 0;
}

struct gpiod_request_config *gpiod_request_config_new(void)
{
	FORWARD_NOARGS(struct gpiod_request_config *, gpiod_request_config_new);
	struct gpiod_request_config *config = calloc(1, sizeof(*config));
	if (config == NULL)
		errno = ENOMEM;
	return config;
}

void gpiod_request_config_free(struct gpiod_request_config *config)
{
	FORWARD_VOID((struct gpiod_request_config *), gpiod_request_config_free, config);
	free(config);
}

void gpiod_request_config_set_consumer(struct gpiod_request_config *config, const char *consumer)
{
	FORWARD_VOID((struct gpiod_request_config *, const char *),
		     gpiod_request_config_set_consumer, config, consumer);
	mock_copy_name(config->consumer, consumer);
}

void gpiod_request_config_set_event_buffer_size(struct gpiod_request_config *config,
						size_t event_buffer_size)
{
	FORWARD_VOID((struct gpiod_request_config *, size_t),
		     gpiod_request_config_set_event_buffer_size, config, event_buffer_size);
	config->event_buffer_size = event_buffer_size;
}

/* ---------------------------------------------------------------- requests */

/* The kernel's checks of one line's settings; the mock request type and flags, or EINVAL. */
static int map_settings(const struct gpiod_line_settings *s, int *type, int *flags, int *clock)
{
	bool output = s->direction == GPIOD_LINE_DIRECTION_OUTPUT;
	*flags = 0;
	if (output) {
		if (s->edge != GPIOD_LINE_EDGE_NONE || s->debounce_us > 0)
			return EINVAL; /* edges and debounce are for inputs */
		*type = GPIOD_MOCK_REQUEST_DIRECTION_OUTPUT;
		if (s->drive == GPIOD_LINE_DRIVE_OPEN_DRAIN)
			*flags |= GPIOD_MOCK_FLAG_OPEN_DRAIN;
		else if (s->drive == GPIOD_LINE_DRIVE_OPEN_SOURCE)
			*flags |= GPIOD_MOCK_FLAG_OPEN_SOURCE;
	} else {
		if (s->drive != GPIOD_LINE_DRIVE_PUSH_PULL)
			return EINVAL; /* drive is for outputs */
		switch (s->edge) {
		case GPIOD_LINE_EDGE_RISING: *type = GPIOD_MOCK_REQUEST_EVENT_RISING_EDGE; break;
		case GPIOD_LINE_EDGE_FALLING: *type = GPIOD_MOCK_REQUEST_EVENT_FALLING_EDGE; break;
		case GPIOD_LINE_EDGE_BOTH: *type = GPIOD_MOCK_REQUEST_EVENT_BOTH_EDGES; break;
		default:
			*type = s->direction == GPIOD_LINE_DIRECTION_INPUT ? GPIOD_MOCK_REQUEST_DIRECTION_INPUT
									   : GPIOD_MOCK_REQUEST_DIRECTION_AS_IS;
		}
		if (s->edge != GPIOD_LINE_EDGE_NONE && s->direction != GPIOD_LINE_DIRECTION_INPUT)
			return EINVAL;
	}
	if (s->active_low)
		*flags |= GPIOD_MOCK_FLAG_ACTIVE_LOW;
	switch (s->bias) {
	case GPIOD_LINE_BIAS_DISABLED: *flags |= GPIOD_MOCK_FLAG_BIAS_DISABLE; break;
	case GPIOD_LINE_BIAS_PULL_UP: *flags |= GPIOD_MOCK_FLAG_BIAS_PULL_UP; break;
	case GPIOD_LINE_BIAS_PULL_DOWN: *flags |= GPIOD_MOCK_FLAG_BIAS_PULL_DOWN; break;
	default: break;
	}
	*clock = s->clock == GPIOD_LINE_CLOCK_REALTIME ? GPIOD_MOCK_CLOCK_REALTIME : GPIOD_MOCK_CLOCK_MONOTONIC;
	if (s->clock == GPIOD_LINE_CLOCK_HTE)
		return EOPNOTSUPP;
	return 0;
}

struct gpiod_line_request *gpiod_chip_request_lines(struct gpiod_chip *chip,
						    struct gpiod_request_config *req_cfg,
						    struct gpiod_line_config *line_cfg)
{
	FORWARD(struct gpiod_line_request *,
		(struct gpiod_chip *, struct gpiod_request_config *, struct gpiod_line_config *),
		gpiod_chip_request_lines, chip, req_cfg, line_cfg);
	if (chip == NULL || line_cfg == NULL || line_cfg->count != 1) {
		errno = EINVAL; /* the mock serves one line per request, as the binding asks */
		return NULL;
	}
	const struct gpiod_line_settings *s = &line_cfg->settings[0];
	int type, flags, clock;
	int err = map_settings(s, &type, &flags, &clock);
	if (err) {
		errno = err;
		return NULL;
	}
	struct gpiod_line_request *request = calloc(1, sizeof(*request));
	if (request == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	unsigned int offset = line_cfg->offsets[0];
	pthread_mutex_lock(&mock_lock);
	struct mock_device *dev = chip->dev;
	if (dev->gone)
		err = ENODEV;
	else if (offset >= dev->num_lines)
		err = EINVAL;
	else
		err = mock_take_line_locked(&dev->lines[offset], request,
					    req_cfg && req_cfg->consumer[0] ? req_cfg->consumer : "?",
					    type, flags, s->output == GPIOD_LINE_VALUE_ACTIVE,
					    s->debounce_us, clock);
	if (err == 0) {
		request->dev = dev;
		request->offset = offset;
		request->fd = dev->lines[offset].event_pipe[0];
		mock_copy_name(request->chip_name, dev->name);
		dev->requests++;
	}
	pthread_mutex_unlock(&mock_lock);
	if (err) {
		free(request);
		errno = err;
		return NULL;
	}
	return request;
}

void gpiod_line_request_release(struct gpiod_line_request *request)
{
	FORWARD_VOID((struct gpiod_line_request *), gpiod_line_request_release, request);
	if (request == NULL)
		return;
	pthread_mutex_lock(&mock_lock);
	struct mock_device *dev = request->dev;
	struct mock_line *ml = &dev->lines[request->offset];
	if (ml->owner == request)
		mock_release_line_locked(ml);
	dev->requests--;
	mock_free_device_if_unused_locked(dev);
	pthread_mutex_unlock(&mock_lock);
	free(request);
}

/* The request's line, lock held; NULL with errno (ENODEV when the chip is gone). */
static struct mock_line *request_line_locked(struct gpiod_line_request *request, unsigned int offset)
{
	if (request->dev->gone) {
		errno = ENODEV;
		return NULL;
	}
	if (offset != request->offset) {
		errno = EINVAL;
		return NULL;
	}
	return &request->dev->lines[offset];
}

enum gpiod_line_value gpiod_line_request_get_value(struct gpiod_line_request *request,
						   unsigned int offset)
{
	FORWARD(enum gpiod_line_value, (struct gpiod_line_request *, unsigned int),
		gpiod_line_request_get_value, request, offset);
	pthread_mutex_lock(&mock_lock);
	struct mock_line *ml = request_line_locked(request, offset);
	int err = errno;
	enum gpiod_line_value value = GPIOD_LINE_VALUE_ERROR;
	if (ml != NULL) {
		int level = ml->request_type == GPIOD_MOCK_REQUEST_DIRECTION_OUTPUT
				    ? ml->output_level
				    : mock_physical_input(ml);
		value = (level ^ mock_active_low(ml)) ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE;
	}
	pthread_mutex_unlock(&mock_lock);
	if (ml == NULL)
		errno = err;
	return value;
}

int gpiod_line_request_set_value(struct gpiod_line_request *request, unsigned int offset,
				 enum gpiod_line_value value)
{
	FORWARD(int, (struct gpiod_line_request *, unsigned int, enum gpiod_line_value),
		gpiod_line_request_set_value, request, offset, value);
	pthread_mutex_lock(&mock_lock);
	struct mock_line *ml = request_line_locked(request, offset);
	int err = ml == NULL ? errno : 0;
	if (ml != NULL && ml->request_type != GPIOD_MOCK_REQUEST_DIRECTION_OUTPUT)
		err = EPERM;
	else if (ml != NULL)
		ml->output_level = (value == GPIOD_LINE_VALUE_ACTIVE) ^ mock_active_low(ml);
	pthread_mutex_unlock(&mock_lock);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

int gpiod_line_request_get_fd(struct gpiod_line_request *request)
{
	FORWARD(int, (struct gpiod_line_request *), gpiod_line_request_get_fd, request);
	return request->fd;
}

static bool request_gone(struct gpiod_line_request *request)
{
	pthread_mutex_lock(&mock_lock);
	bool gone = request->dev->gone;
	pthread_mutex_unlock(&mock_lock);
	return gone;
}

int gpiod_line_request_wait_edge_events(struct gpiod_line_request *request, int64_t timeout_ns)
{
	FORWARD(int, (struct gpiod_line_request *, int64_t), gpiod_line_request_wait_edge_events,
		request, timeout_ns);
	if (request->fd < 0) {
		errno = EPERM; /* no edge detection: the real request's fd never becomes readable */
		return -1;
	}
	/* Blocks without the lock, like the real library's ppoll(). */
	struct timespec ts = { .tv_sec = (time_t)(timeout_ns / 1000000000),
			       .tv_nsec = (long)(timeout_ns % 1000000000) };
	struct pollfd pfd = { .fd = request->fd, .events = POLLIN | POLLPRI, .revents = 0 };
	int rv = ppoll(&pfd, 1, timeout_ns < 0 ? NULL : &ts, NULL);
	if (rv < 0)
		return -1;
	if (request_gone(request)) {
		errno = ENODEV;
		return -1;
	}
	if (rv == 0)
		return 0;
	if (pfd.revents & POLLNVAL) {
		errno = EBADF;
		return -1;
	}
	return 1;
}

int gpiod_line_request_read_edge_events(struct gpiod_line_request *request,
					struct gpiod_edge_event_buffer *buffer, size_t max_events)
{
	FORWARD(int, (struct gpiod_line_request *, struct gpiod_edge_event_buffer *, size_t),
		gpiod_line_request_read_edge_events, request, buffer, max_events);
	if (request->fd < 0 || buffer == NULL) {
		errno = EINVAL;
		return -1;
	}
	size_t max = max_events < buffer->capacity ? max_events : buffer->capacity;
	if (max > 64)
		max = 64;
	struct mock_event raw[64];
	int n = mock_read_events(request->fd, raw, (unsigned int)max);
	if (n < 0) {
		if (request_gone(request))
			errno = ENODEV;
		return -1;
	}
	for (int i = 0; i < n; i++) {
		buffer->events[i].type = raw[i].rising ? GPIOD_EDGE_EVENT_RISING_EDGE
						       : GPIOD_EDGE_EVENT_FALLING_EDGE;
		buffer->events[i].timestamp_ns = raw[i].timestamp_ns;
		buffer->events[i].offset = raw[i].offset;
		buffer->events[i].line_seqno = raw[i].line_seqno;
	}
	buffer->num_events = (size_t)n;
	return n;
}

/* ---------------------------------------------------------------- edge events */

struct gpiod_edge_event_buffer *gpiod_edge_event_buffer_new(size_t capacity)
{
	FORWARD(struct gpiod_edge_event_buffer *, (size_t), gpiod_edge_event_buffer_new, capacity);
	if (capacity == 0)
		capacity = 64;
	struct gpiod_edge_event_buffer *buffer = calloc(1, sizeof(*buffer));
	struct gpiod_edge_event *events = calloc(capacity, sizeof(*events));
	if (buffer == NULL || events == NULL) {
		free(buffer);
		free(events);
		errno = ENOMEM;
		return NULL;
	}
	buffer->capacity = capacity;
	buffer->events = events;
	return buffer;
}

void gpiod_edge_event_buffer_free(struct gpiod_edge_event_buffer *buffer)
{
	FORWARD_VOID((struct gpiod_edge_event_buffer *), gpiod_edge_event_buffer_free, buffer);
	if (buffer == NULL)
		return;
	free(buffer->events);
	free(buffer);
}

struct gpiod_edge_event *gpiod_edge_event_buffer_get_event(struct gpiod_edge_event_buffer *buffer,
							   unsigned long index)
{
	FORWARD(struct gpiod_edge_event *, (struct gpiod_edge_event_buffer *, unsigned long),
		gpiod_edge_event_buffer_get_event, buffer, index);
	if (index >= buffer->num_events) {
		errno = EINVAL;
		return NULL;
	}
	return &buffer->events[index];
}

size_t gpiod_edge_event_buffer_get_num_events(struct gpiod_edge_event_buffer *buffer)
{
	FORWARD(size_t, (struct gpiod_edge_event_buffer *), gpiod_edge_event_buffer_get_num_events,
		buffer);
	return buffer->num_events;
}

enum gpiod_edge_event_type gpiod_edge_event_get_event_type(struct gpiod_edge_event *event)
{
	FORWARD(enum gpiod_edge_event_type, (struct gpiod_edge_event *),
		gpiod_edge_event_get_event_type, event);
	return event->type;
}

uint64_t gpiod_edge_event_get_timestamp_ns(struct gpiod_edge_event *event)
{
	FORWARD(uint64_t, (struct gpiod_edge_event *), gpiod_edge_event_get_timestamp_ns, event);
	return event->timestamp_ns;
}

unsigned int gpiod_edge_event_get_line_offset(struct gpiod_edge_event *event)
{
	FORWARD(unsigned int, (struct gpiod_edge_event *), gpiod_edge_event_get_line_offset, event);
	return event->offset;
}

const char *gpiod_api_version(void)
{
	FORWARD_NOARGS(const char *, gpiod_api_version);
	return "2.2.1-ironbridge-mock";
}

#endif /* IRONBRIDGE_LIBGPIOD_V2 */
