#ifndef IRONBRIDGE_CMOSQUITTO_SHIM_H
#define IRONBRIDGE_CMOSQUITTO_SHIM_H
#include <mosquitto.h>
#include <mqtt_protocol.h>
#endif
