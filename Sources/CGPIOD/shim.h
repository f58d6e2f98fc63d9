#ifndef IRONBRIDGE_CGPIOD_SHIM_H
#define IRONBRIDGE_CGPIOD_SHIM_H
#include <gpiod.h>
#endif
