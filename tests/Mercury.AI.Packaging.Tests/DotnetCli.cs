using System.Diagnostics;
using System.Text;

namespace Mercury.AI.Packaging.Tests;

/// <summary>One finished command: what ran, how it ended, and everything it printed (for assertion messages).</summary>
public sealed record CommandResult(string Command, int ExitCode, string Output, TimeSpan Elapsed)
{
    public bool Succeeded => ExitCode == 0;

    public override string ToString() => $"$ {Command}\n(exit {ExitCode} after {Elapsed.TotalSeconds:F0} s)\n{Output}";
}

/// <summary>
/// Runs the dotnet CLI as a user at a shell would: without the MSBuild and NuGet variables the test host inherits from
/// `dotnet test`, without build servers (a compiler server left running would hold the output pipes open), and
/// with the embedded-model variable removed so the model must come from the package.
/// </summary>
internal static class DotnetCli
{
    private static readonly string Executable = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    public static CommandResult Run(string workingDirectory, TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo(Executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        foreach (string key in start.Environment.Keys.ToList())
            if (key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || key is "NUGET_PACKAGES" or "MERCURY_MODEL_PATH")
                start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";

        var output = new StringBuilder();
        void Append(object _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
        }

        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += Append;
        process.ErrorDataReceived += Append;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        string command = $"(cd {workingDirectory}) dotnet {string.Join(' ', arguments)}";
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            lock (output) return new CommandResult(command, -1, $"timed out after {timeout.TotalSeconds:F0} s\n{output}", clock.Elapsed);
        }
        process.WaitForExit(); // drains the output handlers
        lock (output) return new CommandResult(command, process.ExitCode, output.ToString(), clock.Elapsed);
    }
}
