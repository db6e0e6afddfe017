// SPDX-License-Identifier: GPL-2.0
/*
 * rvhv-run: the vCPU threads.  Each runs KVM_RUN and handles the exits
 * that reach the VMM until its VM ends; the main thread kicks it out of
 * KVM_RUN with KICK_SIGNAL (and immediate_exit) then, or to pause it
 * (gdb.c, migrate.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>

#include "rvhv-run.h"

static const char *const stat_names[ST_NR] = {
	"sbi-dbcn", "sbi-putchar", "sbi-getchar", "rvhv-console",
	"sbi-other", "intr", "system-event", "mmio", "csr", "debug", "other",
	"signal(EINTR)",
};

int get_reg(int fd, uint64_t id, uint64_t *val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)val };

	return ioctl(fd, KVM_GET_ONE_REG, &r);
}

int set_reg(int fd, uint64_t id, uint64_t val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)&val };

	return ioctl(fd, KVM_SET_ONE_REG, &r);
}

/* Report an error from a vCPU thread and end the VM. */
void vcpu_fail(struct vcpu *v, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	fprintf(stderr, "\nrvhv-run: vcpu%d: ", v->id);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&out_lock);
	vm_end(EXIT_ERROR);
}

static const char *exit_name(unsigned int reason)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN", [KVM_EXIT_EXCEPTION] = "EXCEPTION",
		[KVM_EXIT_IO] = "IO", [KVM_EXIT_HYPERCALL] = "HYPERCALL",
		[KVM_EXIT_DEBUG] = "DEBUG", [KVM_EXIT_HLT] = "HLT",
		[KVM_EXIT_MMIO] = "MMIO", [KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
		[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY", [KVM_EXIT_INTR] = "INTR",
		[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
		[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
		[KVM_EXIT_RISCV_SBI] = "RISCV_SBI",
		[KVM_EXIT_RISCV_CSR] = "RISCV_CSR",
	};

	if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
		return names[reason];
	return "?";
}

static void dump_regs(struct vcpu *v)
{
	uint64_t pc = 0, ra = 0, sp = 0, mode = 0;

	get_reg(v->fd, REG_CORE(regs.pc), &pc);
	get_reg(v->fd, REG_CORE(regs.ra), &ra);
	get_reg(v->fd, REG_CORE(regs.sp), &sp);
	get_reg(v->fd, REG_CORE(mode), &mode);
	fprintf(stderr, "rvhv-run: vcpu%d: pc 0x%llx ra 0x%llx sp 0x%llx "
		"mode %llu\n", v->id, (unsigned long long)pc,
		(unsigned long long)ra, (unsigned long long)sp,
		(unsigned long long)mode);
}

/* Returns false when this vCPU is done. */
static bool handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_RISCV_SBI:
		handle_sbi(v);
		return true;
	case KVM_EXIT_INTR:
		v->stats[ST_INTR]++;
		return true;
	case KVM_EXIT_SYSTEM_EVENT:
		v->stats[ST_SYSTEM_EVENT]++;
		switch (run->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN:
			vm_end(EXIT_SHUTDOWN);
			break;
		case KVM_SYSTEM_EVENT_RESET:
			vm_end(EXIT_RESET);
			break;
		default:
			pthread_mutex_lock(&out_lock);
			fprintf(stderr, "\nrvhv-run: vcpu%d: system event %u "
				"(%s)\n", v->id, run->system_event.type,
				run->system_event.type == KVM_SYSTEM_EVENT_CRASH ?
				"crash" : "unknown");
			pthread_mutex_unlock(&out_lock);
			vm_end(EXIT_OTHER_EVENT);
			break;
		}
		return false;
	case KVM_EXIT_MMIO:
		v->stats[ST_MMIO]++;
		if (virtio_nr && (plic_mmio(run) || virtio_mmio(run)))
			return true;
		vcpu_fail(v, "MMIO %s of %u bytes at 0x%llx: no device there",
			  run->mmio.is_write ? "write" : "read",
			  run->mmio.len, (unsigned long long)run->mmio.phys_addr);
		dump_regs(v);
		return false;
	case KVM_EXIT_DEBUG:
		if (!opt.gdb)
			break;
		v->stats[ST_DEBUG]++;
		gdb_debug_exit(v);
		return true;
	case KVM_EXIT_DIRTY_RING_FULL:
		v->stats[ST_OTHER]++;
		migrate_ring_full(v);
		return true;
	case KVM_EXIT_RISCV_CSR:
		v->stats[ST_CSR]++;
		vcpu_fail(v, "unhandled CSR exit: csr 0x%lx", run->riscv_csr.csr_num);
		dump_regs(v);
		return false;
	}
	v->stats[ST_OTHER]++;
	vcpu_fail(v, "unknown exit reason %u (%s)", run->exit_reason,
		  exit_name(run->exit_reason));
	dump_regs(v);
	return false;
}

void kick_vcpus(void)
{
	int i;

	for (i = 0; i < opt.cpus; i++) {
		if (!vcpus[i].started)
			continue;
		__atomic_store_n(&vcpus[i].run->immediate_exit, 1,
				 __ATOMIC_SEQ_CST);
		pthread_kill(vcpus[i].thread, KICK_SIGNAL);
	}
}

void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	bool clean = true;	/* the last KVM_RUN left nothing to complete */
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!stopping) {
		/* The debugger stops vCPUs here, with nothing pending. */
		if (clean && opt.gdb && !gdb_vcpu_pause(v))
			break;
		/* So does a save (migrate.c; never with --gdb). */
		if (clean && (opt.save || opt.migrate_to) &&
		    !migrate_vcpu_pause(v))
			break;
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				v->stats[ST_EINTR]++;
				clean = true;
				continue;
			}
			vcpu_fail(v, "KVM_RUN: %s", strerror(errno));
			dump_regs(v);
			break;
		}
		clean = false;
		if (!handle_exit(v))
			break;
	}
	migrate_vcpu_exit();
	return NULL;
}

void print_stats(void)
{
	int i, s;

	fprintf(stderr, "rvhv-run: stats: guest ran %.3f s, first console "
		"output at %.3f s", now() - t_start, t_first_out);
	if (opt.mark)
		fprintf(stderr, ", '%s' at %.3f s", opt.mark, t_mark);
	fputc('\n', stderr);

	for (i = 0; i < opt.cpus; i++) {
		unsigned long total = 0;

		for (s = 0; s < ST_NR; s++)
			total += s == ST_EINTR ? 0 : vcpus[i].stats[s];
		fprintf(stderr, "rvhv-run: stats: vcpu%d: %lu exits to the VMM",
			i, total);
		for (s = 0; s < ST_NR; s++)
			if (vcpus[i].stats[s])
				fprintf(stderr, ", %s %lu", stat_names[s],
					vcpus[i].stats[s]);
		fputc('\n', stderr);
	}
	if (virtio_nr) {
		if (opt.irqchip == IRQCHIP_APLIC)
			aplic_stats();
		else
			plic_stats();
		virtio_stats();
	}
}
