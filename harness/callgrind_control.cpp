// ib_callgrind: Valgrind's callgrind client requests, for counting the
// instructions of a region of Python code (python/interop_bench/runner/instructions.py).
//
// Outside Valgrind every request is a few no-op instructions, and
// running_on_valgrind() says 0, so the counting process can refuse to run
// where the counts would not be taken.
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <valgrind/callgrind.h>

namespace {

PyObject* running_on_valgrind(PyObject*, PyObject*) {
  return PyLong_FromLong(static_cast<long>(RUNNING_ON_VALGRIND));
}

PyObject* start_instrumentation(PyObject*, PyObject*) {
  CALLGRIND_START_INSTRUMENTATION;
  Py_RETURN_NONE;
}

// Zero the counters, then count until stop_and_dump: the region between the two.
PyObject* start_counting(PyObject*, PyObject*) {
  CALLGRIND_ZERO_STATS;
  CALLGRIND_TOGGLE_COLLECT;
  Py_RETURN_NONE;
}

PyObject* stop_and_dump(PyObject*, PyObject* label) {
  CALLGRIND_TOGGLE_COLLECT;
  const char* text = PyUnicode_AsUTF8(label);
  if (text == nullptr) return nullptr;
  CALLGRIND_DUMP_STATS_AT(text);
  Py_RETURN_NONE;
}

PyMethodDef methods[] = {
    {"running_on_valgrind", running_on_valgrind, METH_NOARGS,
     "running_on_valgrind() -> int: 0 outside Valgrind"},
    {"start_instrumentation", start_instrumentation, METH_NOARGS,
     "start_instrumentation(): instrument from here on (run with --instr-atstart=no)"},
    {"start_counting", start_counting, METH_NOARGS,
     "start_counting(): zero the counters and start collecting"},
    {"stop_and_dump", stop_and_dump, METH_O,
     "stop_and_dump(label): stop collecting and write the counts, labelled"},
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "ib_callgrind",
    "interop-bench: Valgrind callgrind client requests",
    0,
    methods,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

}  // namespace

PyMODINIT_FUNC PyInit_ib_callgrind() {
  return PyModule_Create(&module_def);
}
