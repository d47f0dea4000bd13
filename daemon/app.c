/* SPDX-License-Identifier: Apache-2.0 */
/* The process-wide handles (see app.h). */
#include "app.h"

struct app app;
