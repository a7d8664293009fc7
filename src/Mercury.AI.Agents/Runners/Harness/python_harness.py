# Mercury.AI test harness for Python: imports the solution, runs each test file, prints one result line.
# argv: marker solution.py test_file...
# A test file may use top-level asserts, test_* functions, or unittest.TestCase classes.
import importlib.util, json, os, sys, traceback, unittest

marker, solution_path, test_paths = sys.argv[1], sys.argv[2], sys.argv[3:]
results = []


def record(name, passed, message=""):
    results.append({"name": name, "passed": passed, "message": message[-3000:]})


def failure_text():
    # Drop the harness's own frames: the model needs its code and the assertion.
    lines = traceback.format_exc().splitlines()
    keep = [l for i, l in enumerate(lines) if "python_harness.py" not in l and not (i > 0 and "python_harness.py" in lines[i - 1] and l.startswith("    "))]
    return "\n".join(keep)


class _Collector(unittest.TestResult):
    def addSuccess(self, test):
        record(test.id().split(".", 1)[-1], True)

    def addFailure(self, test, err):
        record(test.id().split(".", 1)[-1], False, self._exc_info_to_string(err, test))

    def addError(self, test, err):
        record(test.id().split(".", 1)[-1], False, self._exc_info_to_string(err, test))


def main():
    sys.path.insert(0, os.path.dirname(os.path.abspath(solution_path)))
    try:
        spec = importlib.util.spec_from_file_location("solution", solution_path)
        solution = importlib.util.module_from_spec(spec)
        sys.modules["solution"] = solution
        spec.loader.exec_module(solution)
    except BaseException:
        record("import solution", False, failure_text())
        return
    for path in test_paths:
        base = os.path.basename(path)
        namespace = {k: v for k, v in vars(solution).items() if not k.startswith("__")}
        namespace.update({"__name__": "tests", "__file__": path})
        try:
            with open(path, encoding="utf-8") as f:
                exec(compile(f.read(), path, "exec"), namespace)
        except BaseException:
            record(base, False, failure_text())
            continue
        functions = [(k, v) for k, v in namespace.items()
                     if k.startswith("test") and callable(v) and not isinstance(v, type) and k not in vars(solution)]
        cases = [v for v in namespace.values()
                 if isinstance(v, type) and issubclass(v, unittest.TestCase) and v.__module__ == "tests"]
        if not functions and not cases:
            record(base, True)
        for name, fn in functions:
            try:
                fn()
                record(name, True)
            except BaseException:
                record(name, False, failure_text())
        for case in cases:
            unittest.defaultTestLoader.loadTestsFromTestCase(case).run(_Collector())


main()
sys.stdout.flush()
sys.stdout.write("\n" + marker + json.dumps(results) + "\n")
sys.stdout.flush()
