using System.Net;

namespace Mercury.AI.Agents.Tests.Host;

/// <summary>A small HTTP server on 127.0.0.1 for fakes of remote services; each request goes to the handler.</summary>
internal sealed class LoopbackListener : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public LoopbackListener(Func<HttpListenerContext, Task> handle)
    {
        Port = HostProcess.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (Exception) { return; }
                try { await handle(context); }
                finally { context.Response.Close(); }
            }
        });
    }

    public int Port { get; }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _loop;
        _listener.Close();
    }
}
