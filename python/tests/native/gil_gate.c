// Test-only: the definition of the kernel core's entry hook
// (kernels/test_hook.hpp), a gate that makes a kernel call wait for an event.
//
// A probe arms the gate and starts an observer thread, which waits in
// gil_gate_await_entry() (through ctypes, so without the GIL) for the next
// kernel entry. The entry wakes it and waits, bounded, for
// gil_gate_observer_ran(): the observer can get there only by taking the GIL
// back, which it can do only if the thread inside the kernel does not hold it.
// A call that holds the GIL is seen as the timeout of that wait, never as a
// race lost by a thread the scheduler was slow to run.
//
// A call that never enters the kernel core (NumPy's own loops) stops at the
// gate where it first reads a page of its input: gil_gate_arm_page() takes the
// page's access away, and the fault's handler gives it back and waits at the
// gate before the read is done again.
//
// python/tests/gil_gate.py compiles this file and loads it (RTLD_GLOBAL)
// before any module that links the kernel core, so that the modules' weak
// reference to the hook resolves here.
// pthread_condattr_setclock and clock_gettime are POSIX, not C11.
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

enum state {
  GATE_IDLE,       // not armed: kernel entries pass through
  GATE_ARMED,      // the next kernel entry stops at the gate
  GATE_ENTERED,    // a kernel waits for the observer
  GATE_OBSERVED,   // the observer ran while a kernel waited: the GIL was free
  GATE_TIMED_OUT,  // the kernel's wait ran out: its caller held the GIL
};

// What gil_gate_disarm returns (python/tests/gil_gate.py names them).
enum outcome { OUTCOME_NEVER_ENTERED = 0, OUTCOME_OBSERVED = 1, OUTCOME_TIMED_OUT = 2 };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed;
static enum state state = GATE_IDLE;
static double timeout_s;

// The wait must not depend on the wall clock, which may be set during a test.
__attribute__((constructor)) static void init_changed(void) {
  pthread_condattr_t attributes;
  pthread_condattr_init(&attributes);
  pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
  pthread_cond_init(&changed, &attributes);
  pthread_condattr_destroy(&attributes);
}

static struct timespec deadline_after(double seconds) {
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  const long whole = (long)seconds;
  deadline.tv_sec += whole;
  deadline.tv_nsec += (long)((seconds - (double)whole) * 1e9);
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec += 1;
    deadline.tv_nsec -= 1000000000L;
  }
  return deadline;
}

static void set_state(enum state next) {
  state = next;
  pthread_cond_broadcast(&changed);
}

void ib_test_kernel_entered(void) {
  pthread_mutex_lock(&lock);
  if (state == GATE_ARMED) {
    set_state(GATE_ENTERED);
    const struct timespec deadline = deadline_after(timeout_s);
    int waited = 0;
    while (state == GATE_ENTERED && waited != ETIMEDOUT)
      waited = pthread_cond_timedwait(&changed, &lock, &deadline);
    if (state == GATE_ENTERED) set_state(GATE_TIMED_OUT);
  }
  pthread_mutex_unlock(&lock);
}

// Stops the next kernel entry, for at most `seconds`.
void gil_gate_arm(double seconds) {
  pthread_mutex_lock(&lock);
  timeout_s = seconds;
  set_state(GATE_ARMED);
  pthread_mutex_unlock(&lock);
}

// The observer's wait: returns 1 once a kernel waits at the gate, 0 if the
// gate was disarmed first (the call never entered a kernel).
int gil_gate_await_entry(void) {
  pthread_mutex_lock(&lock);
  while (state == GATE_ARMED) pthread_cond_wait(&changed, &lock);
  const int entered = state == GATE_ENTERED;
  pthread_mutex_unlock(&lock);
  return entered;
}

// The observer has run: it held the GIL while a kernel waited at the gate.
void gil_gate_observer_ran(void) {
  pthread_mutex_lock(&lock);
  if (state == GATE_ENTERED) set_state(GATE_OBSERVED);
  pthread_mutex_unlock(&lock);
}

// The page that stops a reader at the gate, and the fault handler it replaced.
static char* volatile protected_page;
static struct sigaction previous_segv;
static int handler_installed;

static long page_bytes(void) {
  return sysconf(_SC_PAGESIZE);
}

static void give_the_page_back(void) {
  mprotect(protected_page, (size_t)page_bytes(), PROT_READ | PROT_WRITE);
  protected_page = NULL;
}

// Runs on the thread that read the page, which holds none of the gate's
// locks there (it was reading an array), so it may wait at the gate.
static void on_segv(int signal_number, siginfo_t* info, void* context) {
  (void)signal_number;
  (void)context;
  const char* address = info->si_addr;
  char* page = protected_page;
  if (page != NULL && address >= page && address < page + page_bytes()) {
    give_the_page_back();
    ib_test_kernel_entered();
    return;
  }
  // Not the gate's fault: the read is done again under the previous handler.
  sigaction(SIGSEGV, &previous_segv, NULL);
}

// Stops the first reader of the (readable and writable, mapped) page that
// holds `address` at the gate, for at most `seconds`. Returns 0, or -1 with
// errno set.
int gil_gate_arm_page(const void* address, double seconds) {
  struct sigaction handler = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO};
  sigemptyset(&handler.sa_mask);
  if (sigaction(SIGSEGV, &handler, &previous_segv) != 0) return -1;
  handler_installed = 1;
  char* page = (char*)((uintptr_t)address & ~(uintptr_t)(page_bytes() - 1));
  gil_gate_arm(seconds);
  protected_page = page;
  if (mprotect(page, (size_t)page_bytes(), PROT_NONE) != 0) {
    protected_page = NULL;
    return -1;
  }
  return 0;
}

// Ends a probe (after its call returned): what happened at the gate.
int gil_gate_disarm(void) {
  if (handler_installed) {
    if (protected_page != NULL) give_the_page_back();
    sigaction(SIGSEGV, &previous_segv, NULL);
    handler_installed = 0;
  }
  pthread_mutex_lock(&lock);
  const enum state last = state;
  set_state(GATE_IDLE);
  pthread_mutex_unlock(&lock);
  if (last == GATE_OBSERVED) return OUTCOME_OBSERVED;
  if (last == GATE_TIMED_OUT) return OUTCOME_TIMED_OUT;
  return OUTCOME_NEVER_ENTERED;
}
