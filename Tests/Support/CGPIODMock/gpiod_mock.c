#include "gpiod_mock.h"
int gpiod_mock_placeholder(void) { return 0; }
