# Mercury.AI test harness for Python: imports the solution, runs each test file, prints one result line.
# argv: solution.py test_file...   stdin: the run's secret (read and closed before the solution is loaded)
# A test file may use top-level asserts, test_* functions, or unittest.TestCase classes.
#
# The solution runs in this process, so the harness keeps what decides the verdict out of its way: the secret lives
# only in a local of _main; the result line is encoded here and written with os.write captured before the solution
# loads (patching json or sys.stdout changes nothing); modules, builtins and unittest.TestCase are restored to their
# state before the solution loaded, before each test file runs.
import builtins, os, sys, traceback, unittest


def _main(solution_path, test_paths, write=os.write):
    secret = sys.stdin.readline().strip()
    sys.stdin.close()
    results = []

    def record(name, passed, message=""):
        results.append((str(name), passed is True, str(message)[-3000:]))

    def failure_text():
        # Drop the harness's own frames: the model needs its code and the assertion.
        lines = traceback.format_exc().splitlines()
        keep = [l for i, l in enumerate(lines) if "python_harness.py" not in l and not (i > 0 and "python_harness.py" in lines[i - 1] and l.startswith("    "))]
        return "\n".join(keep)

    class Collector(unittest.TestResult):
        def addSuccess(self, test):
            record(test.id().split(".", 1)[-1], True)

        def addFailure(self, test, err):
            record(test.id().split(".", 1)[-1], False, self._exc_info_to_string(err, test))

        def addError(self, test, err):
            record(test.id().split(".", 1)[-1], False, self._exc_info_to_string(err, test))

    test_case, loader = unittest.TestCase, unittest.defaultTestLoader
    modules, builtin_names, case_attributes = dict(sys.modules), dict(vars(builtins)), dict(vars(unittest.TestCase))

    def restore():
        for name, module in modules.items():
            if sys.modules.get(name) is not module:
                sys.modules[name] = module
        vars(builtins).update(builtin_names)
        for name in [n for n in vars(test_case) if n not in case_attributes]:
            delattr(test_case, name)
        for name, value in case_attributes.items():
            if vars(test_case).get(name) is not value and name not in ("__dict__", "__weakref__"):
                setattr(test_case, name, value)

    sys.path.insert(0, os.path.dirname(os.path.abspath(solution_path)))
    try:
        import importlib.util
        spec = importlib.util.spec_from_file_location("solution", solution_path)
        solution = importlib.util.module_from_spec(spec)
        sys.modules["solution"] = solution
        spec.loader.exec_module(solution)
        solution_names = dict(vars(solution))
    except BaseException:
        record("import solution", False, failure_text())
        solution_names = None
    if solution_names is not None:
        modules["solution"] = solution
        for path in test_paths:
            restore()
            base = os.path.basename(path)
            namespace = {k: v for k, v in solution_names.items() if not k.startswith("__")}
            namespace.update({"__name__": "tests", "__file__": path})
            try:
                with open(path, encoding="utf-8") as f:
                    exec(compile(f.read(), path, "exec"), namespace)
            except BaseException:
                record(base, False, failure_text())
                continue
            functions = [(k, v) for k, v in namespace.items()
                         if k.startswith("test") and callable(v) and not isinstance(v, type) and k not in solution_names]
            cases = [v for v in namespace.values()
                     if isinstance(v, type) and issubclass(v, test_case) and v.__module__ == "tests"]
            if not functions and not cases:
                record(base, True)
            for name, fn in functions:
                try:
                    fn()
                    record(name, True)
                except BaseException:
                    record(name, False, failure_text())
            for case in cases:
                restore()
                loader.loadTestsFromTestCase(case).run(Collector())
    try:
        sys.stdout.flush()  # the program's own output first
    except BaseException:
        pass
    line = "\n@@MERCURY-RESULT-" + secret + "@@" + _encode(results) + "\n"
    data = line.encode("utf-8", "replace")
    while data:
        data = data[write(1, data):]


def _encode(results):
    # JSON by hand over built-in str methods, which the solution cannot patch (json's encoder it could).
    def text(s):
        out = []
        for ch in s:
            code = ord(ch)
            out.append(ch if 0x20 <= code < 0x7F and ch not in '"\\' else "\\u%04x" % code if code < 0x10000
                       else "\\u%04x\\u%04x" % (0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)))
        return '"' + "".join(out) + '"'
    return "[" + ",".join('{"name":%s,"passed":%s,"message":%s}' % (text(n), "true" if p else "false", text(m)) for n, p, m in results) + "]"


if __name__ == "__main__":
    _main(sys.argv[1], sys.argv[2:])
