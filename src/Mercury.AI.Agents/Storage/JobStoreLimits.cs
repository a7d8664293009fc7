using Mercury.AI.Agents.Jobs;

namespace Mercury.AI.Agents.Storage;

/// <summary>
/// The bounds every <see cref="IJobStore"/> enforces, so that no job can grow the store without limit or be retried
/// forever. Both stores apply them with the same rules (<see cref="Cap"/>), so a job behaves the same on either.
/// </summary>
public sealed record JobStoreLimits
{
    /// <summary>
    /// A job whose lease expired this many times — its worker died while running it, each time — is not claimed
    /// again: it ends in <see cref="JobState.Error"/> with the reason (a poison job: out of memory, disk full, a crash).
    /// </summary>
    public int MaxExpiredLeases { get; init; } = 3;

    /// <summary>Characters kept of each text field of an iteration (prompt, reply, code, feedback, test output).</summary>
    public int MaxIterationFieldChars { get; init; } = 64 * 1024;

    /// <summary>Characters kept of all of a job's iterations together; past it, each field of a later iteration keeps
    /// only <see cref="FieldCharsOverJobBudget"/> characters.</summary>
    public long MaxJobOutputChars { get; init; } = 4L << 20;

    public int FieldCharsOverJobBudget { get; init; } = 2048;

    /// <summary>Characters of one step's <see cref="StepRecord.Data"/> (the files a tool call wrote, a model turn's tool
    /// calls). Data is what a job resumes from, so it is never cut: a larger step is refused. The file tools write at
    /// most <c>WorkspaceTools.MaxWriteChars</c> per call, well below this.</summary>
    public int MaxStepDataChars { get; init; } = 4 << 20;

    /// <summary>Jobs that may wait in the queue at once; one more is refused with <see cref="JobQueueFullException"/>.</summary>
    public int MaxQueuedJobs { get; init; } = 1000;

    public static JobStoreLimits Default { get; } = new();

    /// <summary>Characters an iteration stores in its text fields.</summary>
    public static long StoredChars(IterationRecord it) =>
        (long)it.Prompt.Length + it.Reply.Length + it.Code.Length + it.Feedback.Length + it.TestOutput.Length;

    /// <summary>The iteration as it is stored, given the characters the job's earlier iterations hold. Text no store
    /// can hold — NUL, which PostgreSQL's text refuses, and lone surrogates, which are not UTF-8 — becomes U+FFFD on
    /// every store, so a program that prints them cannot make its iteration unstorable.</summary>
    public IterationRecord Cap(IterationRecord it, long storedBefore)
    {
        var capped = Fields(it, MaxIterationFieldChars);
        return storedBefore + StoredChars(capped) <= MaxJobOutputChars ? capped : Fields(it, FieldCharsOverJobBudget);
    }

    /// <summary>Characters a step stores in its capped text fields (input and output; data is counted apart).</summary>
    public static long StoredChars(StepRecord step) => (long)step.Input.Length + step.Output.Length;

    /// <summary>The step as it is stored: input and output capped as an iteration's fields (the job's steps share one
    /// <see cref="MaxJobOutputChars"/>), data whole. Throws <see cref="ArgumentException"/> for data over
    /// <see cref="MaxStepDataChars"/>.</summary>
    public StepRecord Cap(StepRecord step, long storedBefore)
    {
        if (step.Data.Length > MaxStepDataChars)
            throw new ArgumentException($"Step {step.Number} holds {step.Data.Length} characters of data; the store keeps at most {MaxStepDataChars}.", nameof(step));
        var capped = StepFields(step, MaxIterationFieldChars);
        return storedBefore + StoredChars(capped) <= MaxJobOutputChars ? capped : StepFields(step, FieldCharsOverJobBudget);
    }

    private static StepRecord StepFields(StepRecord step, int max) => step with
    {
        Name = Keep(step.Name, 256), CallId = Keep(step.CallId, 256), Input = Keep(step.Input, max), Output = Keep(step.Output, max),
        Data = Storable(step.Data),
    };

    private static IterationRecord Fields(IterationRecord it, int max) => it with
    {
        Prompt = Keep(it.Prompt, max), Reply = Keep(it.Reply, max), Code = Keep(it.Code, max),
        Feedback = Keep(it.Feedback, max), TestOutput = Keep(it.TestOutput, max),
    };

    /// <summary>Both ends of a long text (code starts matter, test output ends do), with a note of what was cut; never
    /// half of a surrogate pair.</summary>
    internal static string Keep(string text, int max)
    {
        if (text.Length <= max) return Storable(text);
        int head = Math.Max(0, max / 2 - 40), tail = head;
        if (head > 0 && char.IsHighSurrogate(text[head - 1])) head--;
        if (tail > 0 && char.IsLowSurrogate(text[^tail])) tail--;
        return Storable(text[..head]) + $"\n[… {text.Length - head - tail} characters not stored …]\n" + Storable(text[^tail..]);
    }

    /// <summary>The text with NUL and lone surrogates replaced by U+FFFD (same length).</summary>
    internal static string Storable(string text)
    {
        int i = 0;
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\0' || (char.IsSurrogate(c) && !IsPair(text, i))) break;
            if (char.IsHighSurrogate(c)) i++;
        }
        if (i == text.Length) return text;
        return string.Create(text.Length, text, static (span, source) =>
        {
            source.AsSpan().CopyTo(span);
            for (int k = 0; k < span.Length; k++)
            {
                if (span[k] == '\0' || (char.IsSurrogate(span[k]) && !IsPair(source, k))) span[k] = '\uFFFD';
                else if (char.IsHighSurrogate(span[k])) k++;
            }
        });
    }

    private static bool IsPair(string text, int i) =>
        char.IsHighSurrogate(text[i]) ? i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])
        : i > 0 && char.IsHighSurrogate(text[i - 1]) && char.IsLowSurrogate(text[i]);

    /// <summary>SQL (the same in SQLite and PostgreSQL) for the summary of a job ended by the poison-job limit, given an
    /// SQL expression for the number of leases that ran out.</summary>
    internal static string PoisonSummarySql(string expiredLeases) =>
        $"'abandoned: its worker stopped without finishing it ' || ({expiredLeases}) || ' times in a row (out of memory, disk full, a crash?); not retried'";
}

/// <summary>The store refuses a new job because <see cref="JobStoreLimits.MaxQueuedJobs"/> are already waiting.</summary>
public sealed class JobQueueFullException(int limit)
    : InvalidOperationException($"The queue already holds {limit} jobs, its limit; submit again when some have run.")
{
    public int Limit { get; } = limit;
}

/// <summary>
/// The store cannot be used at all (a damaged or unreadable database file, a full disk): the message says what is
/// wrong and how to recover. Not a failure of one job: hosts stop claiming work and report it through their health.
/// </summary>
public sealed class JobStoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
