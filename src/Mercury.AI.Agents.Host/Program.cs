using Mercury.AI.Agents.Host;

return await Cli.RunAsync(args);
