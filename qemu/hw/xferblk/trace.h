#include "trace/trace-hw_xferblk.h"
