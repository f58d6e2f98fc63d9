#ifndef IRONBRIDGE_GPIOD_MOCK_H
#define IRONBRIDGE_GPIOD_MOCK_H
int gpiod_mock_placeholder(void);
#endif
