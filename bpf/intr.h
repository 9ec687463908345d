/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The value of irq:<n>:<handler> (KSTAT_TYPE_INTR), shared by the intr
 * provider (hard, from the kernel's counts) and the opt-in intr_claims
 * provider (spurious, multiple_service).
 */
#ifndef __KSTAT_INTR_H
#define __KSTAT_INTR_H

#define MAX_IRQS 4096

struct irq_intr {
	__u32 hard, soft, watchdog, spurious, multiple_service;
};

#endif /* __KSTAT_INTR_H */
