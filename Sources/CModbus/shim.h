#ifndef IRONBRIDGE_CMODBUS_SHIM_H
#define IRONBRIDGE_CMODBUS_SHIM_H
#include <modbus.h>
#include <errno.h>

/* libmodbus error codes are macros built on MODBUS_ENOBASE, which Swift cannot import. */
static const int ironbridge_modbus_enobase = MODBUS_ENOBASE;
static const int ironbridge_EMBXILFUN = EMBXILFUN;
static const int ironbridge_EMBXILADD = EMBXILADD;
static const int ironbridge_EMBXILVAL = EMBXILVAL;
static const int ironbridge_EMBXSFAIL = EMBXSFAIL;
static const int ironbridge_EMBXACK = EMBXACK;
static const int ironbridge_EMBXSBUSY = EMBXSBUSY;
static const int ironbridge_EMBXNACK = EMBXNACK;
static const int ironbridge_EMBXMEMPAR = EMBXMEMPAR;
static const int ironbridge_EMBXGPATH = EMBXGPATH;
static const int ironbridge_EMBXGTAR = EMBXGTAR;
static const int ironbridge_EMBBADCRC = EMBBADCRC;
static const int ironbridge_EMBBADDATA = EMBBADDATA;
static const int ironbridge_EMBBADEXC = EMBBADEXC;
static const int ironbridge_EMBMDATA = EMBMDATA;
static const int ironbridge_EMBBADSLAVE = EMBBADSLAVE;
#endif
