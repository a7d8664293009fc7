using System.Diagnostics;

namespace Mercury.AI.Training.Tests.Training;

/// <summary>
/// build/training/keep-run.sh, run as on a machine that is about to be replaced and on the one after it: the run's
/// state goes into a parentless commit of a branch and comes back byte for byte. It runs on a copy of the script in
/// a scratch repository, so the real repository's branches are never touched.
/// </summary>
public class KeepRunScriptTests
{
    [Fact]
    public void Saves_a_run_into_a_branch_and_restores_it_byte_for_byte_elsewhere()
    {
        string root = Path.Combine(Path.GetTempPath(), "keep-run-" + Guid.NewGuid().ToString("N"));
        try
        {
            string repo = Path.Combine(root, "repo");
            Directory.CreateDirectory(Path.Combine(repo, "build", "training"));
            File.Copy(Script, Path.Combine(repo, "build", "training", "keep-run.sh"));
            Run("git", "init -q", repo);

            string work = Path.Combine(root, "work");
            var files = new Dictionary<string, byte[]>
            {
                ["run/checkpoint/state.json"] = "{\"Step\":1200,\"Tokens\":5.0,\"Seconds\":60.0}"u8.ToArray(),
                ["run/checkpoint/model.safetensors"] = RandomBytes(1, 4096),
                ["run/checkpoint/optimizer.bin"] = RandomBytes(2, 8192),
                ["run/checkpoint/ema.safetensors"] = RandomBytes(3, 4096),
                ["run/heldout.tsv"] = "500\t1.0\t0.5\t1.1\n"u8.ToArray(),
                ["tokenizer.json"] = "{}"u8.ToArray(),
                ["train-part1.log"] = "step 10/100\n"u8.ToArray(),
                ["train.cmd"] = "train --work w\n"u8.ToArray(),
                ["corpus/train.jsonl"] = "{\"Id\":\"a\"}\n"u8.ToArray(),
                ["corpus/heldout_seen.jsonl"] = "{\"Id\":\"b\"}\n"u8.ToArray(),
            };
            foreach (var (path, bytes) in files)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(work, path))!);
                File.WriteAllBytes(Path.Combine(work, path), bytes);
            }

            string script = Path.Combine(repo, "build", "training", "keep-run.sh");
            var saved = Run("bash", $"{script} save {work}", repo);
            Assert.Contains("saved step 1200", saved);
            Assert.Equal("", Run("git", "log --format=%P model-v2-run", repo).Trim()); // no parent: only the latest state is kept
            Run("bash", $"{script} save {work}", repo);
            Assert.Single(Run("git", "rev-list model-v2-run", repo).Split('\n', StringSplitOptions.RemoveEmptyEntries));

            string restored = Path.Combine(root, "restored");
            Assert.Contains("restored", Run("bash", $"{script} restore {restored}", repo));
            foreach (var (path, bytes) in files) Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(restored, path)));

            // Nothing to save, and a branch that is not there, fail with a message.
            Assert.Contains("no checkpoint", Run("bash", $"{script} save {Path.Combine(root, "empty")}", repo, expectFailure: true));
            Assert.Contains("no branch", Run("bash", $"{script} restore {restored} other-branch", repo, expectFailure: true));
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    private static string Script
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Mercury.AI.sln"))) return Path.Combine(dir.FullName, "build", "training", "keep-run.sh");
            throw new DirectoryNotFoundException($"No Mercury.AI.sln above {AppContext.BaseDirectory}.");
        }
    }

    private static byte[] RandomBytes(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static string Run(string file, string arguments, string directory, bool expectFailure = false)
    {
        var start = new ProcessStartInfo(file, arguments) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        // A commit needs an author wherever the test runs (CI machines have no git identity).
        foreach (var (key, value) in new[] { ("GIT_AUTHOR_NAME", "test"), ("GIT_AUTHOR_EMAIL", "test@example.invalid"), ("GIT_COMMITTER_NAME", "test"), ("GIT_COMMITTER_EMAIL", "test@example.invalid") })
            start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        string output = stdout.Result + stderr.Result;
        Assert.True(expectFailure ? process.ExitCode != 0 : process.ExitCode == 0, $"{file} {arguments} exited {process.ExitCode}:\n{output}");
        return output;
    }
}
