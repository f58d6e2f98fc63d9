/*
 * gpiod_mock.c - the core of the mocked libgpiod: chips and lines in memory, forwarding to
 * the real library, edge events (and the kernel's debounce) and the test controls of
 * gpiod_mock.h. The gpiod_* functions of each API live in gpiod_mock_v1.c and
 * gpiod_mock_v2.c; only the one matching the build's libgpiod is compiled.
 */
#include "mock_core.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

pthread_mutex_t mock_lock = PTHREAD_MUTEX_INITIALIZER;
struct mock_device *mock_devices;

/* ---------------------------------------------------------------- forwarding */

static pthread_once_t forwarding_once = PTHREAD_ONCE_INIT;
static bool forwarding_enabled;
static void *real_library;

static void forwarding_init(void)
{
	const char *chip = getenv("IRONBRIDGE_GPIO_TEST_CHIP");
	forwarding_enabled = chip != NULL && chip[0] != '\0';
}

bool mock_forwarding(void)
{
	pthread_once(&forwarding_once, forwarding_init);
	return forwarding_enabled;
}

int gpiod_mock_is_forwarding(void)
{
	return mock_forwarding() ? 1 : 0;
}

int gpiod_mock_api_version(void)
{
#ifdef IRONBRIDGE_LIBGPIOD_V2
	return 2;
#else
	return 1;
#endif
}

/* The real libgpiod's definition of a symbol; aborts if it cannot be found. */
void *mock_real_symbol(const char *symbol)
{
	void *fn = dlsym(RTLD_NEXT, symbol);
	if (fn == NULL) {
		pthread_mutex_lock(&mock_lock);
		if (real_library == NULL)
			real_library = dlopen(gpiod_mock_api_version() == 2 ? "libgpiod.so.3" : "libgpiod.so.2",
					      RTLD_NOW | RTLD_LOCAL);
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

/* ---------------------------------------------------------------- device directory */

static pthread_once_t directory_once = PTHREAD_ONCE_INIT;
static char device_directory[64];

/* At exit: the files of chips still registered, then the folder. */
static void directory_remove(void)
{
	char path[128];
	/* Never wait at exit: a thread still inside the mock keeps its chips' files. */
	if (pthread_mutex_trylock(&mock_lock) == 0) {
		for (struct mock_device *dev = mock_devices; dev != NULL; dev = dev->next) {
			snprintf(path, sizeof(path), "%s/%s", device_directory, dev->name);
			unlink(path);
		}
		pthread_mutex_unlock(&mock_lock);
	}
	rmdir(device_directory);
}

static void directory_init(void)
{
	snprintf(device_directory, sizeof(device_directory), "/tmp/gpiod-mock-XXXXXX");
	if (mkdtemp(device_directory) == NULL)
		snprintf(device_directory, sizeof(device_directory), "/nonexistent-gpiod-mock");
	else
		atexit(directory_remove);
}

const char *gpiod_mock_device_directory(void)
{
	pthread_once(&directory_once, directory_init);
	return device_directory;
}

static void device_file(const char *name, bool present)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", gpiod_mock_device_directory(), name);
	if (present) {
		int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
	} else {
		unlink(path);
	}
}

/* ---------------------------------------------------------------- helpers */

void mock_copy_name(char *dst, const char *src)
{
	if (src == NULL)
		src = "";
	snprintf(dst, MOCK_NAME_MAX, "%s", src);
}

struct mock_device *mock_find_device_locked(const char *name)
{
	if (name == NULL)
		return NULL;
	for (struct mock_device *dev = mock_devices; dev != NULL; dev = dev->next)
		if (dev->registered && strcmp(dev->name, name) == 0)
			return dev;
	return NULL;
}

struct mock_device *mock_find_device_by_path_locked(const char *path)
{
	if (path == NULL)
		return NULL;
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return NULL;
	size_t folder = (size_t)(slash - path);
	const char *directory = gpiod_mock_device_directory();
	bool known = (folder == 4 && strncmp(path, "/dev", 4) == 0) ||
		     (folder == strlen(directory) && strncmp(path, directory, folder) == 0);
	return known ? mock_find_device_locked(slash + 1) : NULL;
}

void mock_close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

void mock_free_device_if_unused_locked(struct mock_device *dev)
{
	if (dev->registered || dev->handles > 0 || dev->requests > 0)
		return;
	for (unsigned int i = 0; i < dev->num_lines; i++) {
		mock_close_fd(&dev->lines[i].event_pipe[0]);
		mock_close_fd(&dev->lines[i].event_pipe[1]);
	}
	free(dev->lines);
	free(dev);
}

static void unlink_device_locked(struct mock_device *dev)
{
	for (struct mock_device **p = &mock_devices; *p != NULL; p = &(*p)->next) {
		if (*p == dev) {
			*p = dev->next;
			dev->next = NULL;
			return;
		}
	}
}

bool mock_is_event_request(int request_type)
{
	return request_type == GPIOD_MOCK_REQUEST_EVENT_RISING_EDGE ||
	       request_type == GPIOD_MOCK_REQUEST_EVENT_FALLING_EDGE ||
	       request_type == GPIOD_MOCK_REQUEST_EVENT_BOTH_EDGES;
}

int mock_active_low(const struct mock_line *ml)
{
	return (ml->flags & GPIOD_MOCK_FLAG_ACTIVE_LOW) ? 1 : 0;
}

int mock_physical_input(const struct mock_line *ml)
{
	if (ml->input_level >= 0)
		return ml->input_level;
	return (ml->flags & GPIOD_MOCK_FLAG_BIAS_PULL_UP) ? 1 : 0;
}

uint64_t mock_monotonic_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int mock_take_line_locked(struct mock_line *ml, const void *owner, const char *consumer,
			  int request_type, int flags, int output_value, unsigned long debounce_us,
			  int event_clock)
{
	if (ml->holder != HOLDER_NONE)
		return EBUSY;
	if (mock_is_event_request(request_type)) {
		int fds[2];
		if (pipe2(fds, O_CLOEXEC) != 0)
			return errno;
		fcntl(fds[1], F_SETFL, O_NONBLOCK); /* a full queue drops events, as the kernel does */
		ml->event_pipe[0] = fds[0];
		ml->event_pipe[1] = fds[1];
	}
	ml->holder = HOLDER_BINDING;
	ml->request_count++;
	ml->owner = owner;
	mock_copy_name(ml->consumer, consumer ? consumer : "?");
	ml->request_type = request_type;
	ml->flags = flags;
	ml->debounce_us = debounce_us;
	ml->event_clock = event_clock;
	ml->has_timestamp = false;
	ml->edge_count = 0;
	ml->seqno = 0;
	ml->debounce_pending = false;
	ml->reported_logical = mock_physical_input(ml) ^ mock_active_low(ml);
	if (request_type == GPIOD_MOCK_REQUEST_DIRECTION_OUTPUT)
		ml->output_level = (output_value != 0) ^ mock_active_low(ml);
	return 0;
}

void mock_release_line_locked(struct mock_line *ml)
{
	mock_close_fd(&ml->event_pipe[0]);
	mock_close_fd(&ml->event_pipe[1]);
	ml->holder = HOLDER_NONE;
	ml->owner = NULL;
	ml->consumer[0] = '\0';
	ml->request_type = GPIOD_MOCK_REQUEST_NONE;
	ml->flags = 0;
	ml->debounce_us = 0;
	ml->event_clock = GPIOD_MOCK_CLOCK_DEFAULT;
	ml->debounce_pending = false;
}

int mock_read_events(int fd, struct mock_event *events, unsigned int max)
{
	if (events == NULL || max == 0) {
		errno = EINVAL;
		return -1;
	}
	ssize_t rd;
	do {
		rd = read(fd, events, (size_t)max * sizeof(*events));
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

/* ---------------------------------------------------------------- events and debounce */

static bool wants_edge(int request_type, int rising)
{
	return request_type == GPIOD_MOCK_REQUEST_EVENT_BOTH_EDGES ||
	       (rising && request_type == GPIOD_MOCK_REQUEST_EVENT_RISING_EDGE) ||
	       (!rising && request_type == GPIOD_MOCK_REQUEST_EVENT_FALLING_EDGE);
}

static void queue_event_locked(struct mock_line *ml, unsigned int offset, int rising,
			       uint64_t timestamp_ns)
{
	ml->reported_logical = rising;
	if (!wants_edge(ml->request_type, rising))
		return;
	struct mock_event event = {
		.timestamp_ns = timestamp_ns, .rising = rising, .offset = offset,
		.line_seqno = ml->seqno + 1,
	};
	if (write(ml->event_pipe[1], &event, sizeof(event)) == (ssize_t)sizeof(event)) {
		ml->seqno++;
		ml->last_timestamp = timestamp_ns;
		ml->has_timestamp = true;
	}
}

/* One thread settles debounced lines, like the kernel's debounce work. */
static pthread_once_t debounce_once = PTHREAD_ONCE_INIT;
static pthread_cond_t debounce_cond;

static void *debounce_thread(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&mock_lock);
	for (;;) {
		uint64_t now = mock_monotonic_now_ns();
		uint64_t next = 0;
		for (struct mock_device *dev = mock_devices; dev != NULL; dev = dev->next) {
			for (unsigned int i = 0; i < dev->num_lines; i++) {
				struct mock_line *ml = &dev->lines[i];
				if (!ml->debounce_pending)
					continue;
				if (ml->holder != HOLDER_BINDING || dev->gone || ml->event_pipe[1] < 0) {
					ml->debounce_pending = false;
					continue;
				}
				if (ml->debounce_due_ns <= now) {
					ml->debounce_pending = false;
					int logical = mock_physical_input(ml) ^ mock_active_low(ml);
					if (logical != ml->reported_logical)
						queue_event_locked(ml, i, logical, now);
				} else if (next == 0 || ml->debounce_due_ns < next) {
					next = ml->debounce_due_ns;
				}
			}
		}
		if (next == 0) {
			pthread_cond_wait(&debounce_cond, &mock_lock);
		} else {
			struct timespec until = { .tv_sec = (time_t)(next / 1000000000u),
						  .tv_nsec = (long)(next % 1000000000u) };
			pthread_cond_timedwait(&debounce_cond, &mock_lock, &until);
		}
	}
	return NULL;
}

static void debounce_init(void)
{
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&debounce_cond, &attr);
	pthread_condattr_destroy(&attr);
	pthread_t thread;
	pthread_attr_t thread_attr;
	pthread_attr_init(&thread_attr);
	pthread_attr_setdetachstate(&thread_attr, PTHREAD_CREATE_DETACHED);
	pthread_create(&thread, &thread_attr, debounce_thread, NULL);
	pthread_attr_destroy(&thread_attr);
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
	struct mock_device *dev = mock_find_device_locked(chip);
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
	mock_copy_name(dev->name, name);
	mock_copy_name(dev->label, label);
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
	if (mock_find_device_locked(name) != NULL) {
		pthread_mutex_unlock(&mock_lock);
		free(lines);
		free(dev);
		errno = EEXIST;
		return -1;
	}
	dev->next = mock_devices;
	mock_devices = dev;
	device_file(name, true);
	pthread_mutex_unlock(&mock_lock);
	return 0;
}

static void disappear_locked(struct mock_device *dev)
{
	dev->gone = true;
	/* Closing the write ends wakes every waiter with POLLHUP. */
	for (unsigned int i = 0; i < dev->num_lines; i++)
		mock_close_fd(&dev->lines[i].event_pipe[1]);
}

int gpiod_mock_chip_remove(const char *name)
{
	if (mock_forwarding()) {
		errno = ENOTSUP;
		return -1;
	}
	pthread_mutex_lock(&mock_lock);
	struct mock_device *dev = mock_find_device_locked(name);
	if (dev == NULL) {
		pthread_mutex_unlock(&mock_lock);
		errno = ENOENT;
		return -1;
	}
	disappear_locked(dev);
	unlink_device_locked(dev);
	dev->registered = false;
	device_file(name, false);
	mock_free_device_if_unused_locked(dev);
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
	struct mock_device *dev = mock_find_device_locked(name);
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
	struct mock_device *dev = mock_find_device_locked(name);
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
	int before = mock_physical_input(ml) ^ mock_active_low(ml);
	ml->input_level = level != 0;
	int after = mock_physical_input(ml) ^ mock_active_low(ml);
	bool events = ml->holder == HOLDER_BINDING && mock_is_event_request(ml->request_type) &&
		      !dev->gone && ml->event_pipe[1] >= 0;
	if (events && before != after) {
		ml->edge_count++;
		if (ml->debounce_us > 0) {
			pthread_once(&debounce_once, debounce_init);
			ml->debounce_pending = true;
			ml->debounce_due_ns = mock_monotonic_now_ns() + (uint64_t)ml->debounce_us * 1000u;
			pthread_cond_signal(&debounce_cond);
		} else {
			queue_event_locked(ml, offset, after, timestamp_ns);
		}
	}
	pthread_mutex_unlock(&mock_lock);
	return 0;
}

int gpiod_mock_set_input_level(const char *chip, unsigned int offset, int level)
{
	return gpiod_mock_set_input_level_at(chip, offset, level, mock_monotonic_now_ns());
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
	int count = ml->edge_count;
	pthread_mutex_unlock(&mock_lock);
	return count;
}

int gpiod_mock_get_output_level(const char *chip, unsigned int offset)
{
	struct mock_line *ml = control_line(chip, offset, NULL);
	if (ml == NULL)
		return -1;
	bool output = ml->holder == HOLDER_BINDING &&
		      ml->request_type == GPIOD_MOCK_REQUEST_DIRECTION_OUTPUT;
	int level = ml->output_level;
	pthread_mutex_unlock(&mock_lock);
	if (!output) {
		errno = EPERM;
		return -1;
	}
	return level;
}

int gpiod_mock_line_request_count(const char *chip, unsigned int offset)
{
	struct mock_line *ml = control_line(chip, offset, NULL);
	if (ml == NULL)
		return -1;
	int count = ml->request_count;
	pthread_mutex_unlock(&mock_lock);
	return count;
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

long gpiod_mock_line_debounce_us(const char *chip, unsigned int offset)
{
	struct mock_line *ml = control_line(chip, offset, NULL);
	if (ml == NULL)
		return -1;
	long period = ml->holder == HOLDER_BINDING ? (long)ml->debounce_us : 0;
	pthread_mutex_unlock(&mock_lock);
	return period;
}

int gpiod_mock_line_event_clock(const char *chip, unsigned int offset)
{
	struct mock_line *ml = control_line(chip, offset, NULL);
	if (ml == NULL)
		return -1;
	int clock = ml->holder == HOLDER_BINDING ? ml->event_clock : GPIOD_MOCK_CLOCK_DEFAULT;
	pthread_mutex_unlock(&mock_lock);
	return clock;
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
		mock_copy_name(ml->consumer, consumer);
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
