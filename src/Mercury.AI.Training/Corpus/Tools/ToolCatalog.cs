using System.ComponentModel;
using System.Globalization;
using System.Reflection;

namespace Mercury.AI.Training.Corpus.Tools;

/// <summary>
/// A function a user might give the model, written as the typed lambda an app would pass to
/// <c>AIFunctionFactory.Create</c> or Semantic Kernel's <c>KernelFunctionFactory.CreateFromMethod</c>, with the
/// requests that call for it (<c>{param}</c> placeholders), values for its parameters and answers that report its
/// result (<c>{result}</c>). The lambda computes a deterministic result, so evaluation can invoke it for real. Tools made
/// up by <see cref="SyntheticTools"/> have no lambda: declared parameters and a body instead.
/// </summary>
public sealed record ToolSpec(string Name, string Plugin, string SkName, string Description, Delegate? Method,
    IReadOnlyDictionary<string, string[]> Values, string[] Requests, string[] Answers)
{
    /// <summary>For a tool without a typed lambda (<see cref="SyntheticTools"/>): its parameters, declared as a JSON schema.</summary>
    public IReadOnlyList<ToolParameter>? Declared { get; init; }

    /// <summary>For a tool without a typed lambda: its result from the arguments it was called with.</summary>
    public Func<IReadOnlyDictionary<string, object?>, string>? Body { get; init; }

    /// <summary>The parameters in declaration order: the lambda's, or the declared ones.</summary>
    public IReadOnlyList<ToolParameter> Parameters => Declared ?? [.. Method!.Method.GetParameters().Select(p =>
        new ToolParameter(p.Name!, p.ParameterType == typeof(int), p.GetCustomAttribute<DescriptionAttribute>()?.Description ?? ""))];
}

/// <summary>A parameter of a <see cref="ToolSpec"/>: a string, or an integer.</summary>
public sealed record ToolParameter(string Name, bool IsInteger, string Description);

public static class ToolCatalog
{
    private static readonly string[] Cities = ["Paris", "Tokyo", "Lima", "Oslo", "Cairo", "Berlin", "Sydney", "Toronto", "Madrid", "Seoul", "Nairobi", "Lisbon"];
    private static readonly string[] People = ["alice@example.com", "bob@example.com", "sam@example.org", "dev-team@example.com", "maria@example.net"];
    private static readonly string[] Paths = ["src/app.py", "README.md", "notes.txt", "config.json", "src/main.js", "docs/setup.md", "data/users.csv"];
    private static readonly string[] Folders = ["src", "docs", "tests", "data", ".", "scripts"];
    private static readonly string[] Nums = ["3", "7", "12", "25", "40", "64", "81", "100", "144", "9"];
    private static readonly string[] Words = ["serendipity", "ephemeral", "ubiquitous", "lucid", "resilient", "candid", "frugal", "verbose"];
    private static readonly string[] Songs = ["Yesterday", "Bohemian Rhapsody", "Clair de Lune", "Take Five", "Imagine", "Hey Jude"];
    private static readonly string[] Rooms = ["kitchen", "living room", "bedroom", "office", "garage", "hallway"];
    private static readonly string[] Symbols = ["MSFT", "AAPL", "NVDA", "AMZN", "TSLA", "GOOG"];
    private static readonly string[] Topics = ["diffusion models", "rust async", "dotnet 10", "climate news", "chess openings", "sourdough bread"];
    private static readonly string[] Titles = ["Team sync", "Dentist", "Code review", "Lunch with Sam", "Release party", "Gym"];
    private static readonly string[] Dates = ["2026-12-01", "2026-12-15", "tomorrow", "Friday", "2027-01-10", "next Monday"];
    private static readonly string[] Countries = ["Japan", "Brazil", "Kenya", "Norway", "Canada", "Peru", "Italy"];
    private static readonly string[] Languages = ["French", "Spanish", "German", "Japanese", "Italian"];
    private static readonly string[] Phrases = ["good morning", "thank you", "where is the station", "see you soon", "happy birthday"];
    private static readonly string[] Currencies = ["USD", "EUR", "JPY", "GBP", "CHF"];
    private static readonly string[] Texts = ["the quick brown fox", "hello world", "to be or not to be", "small models can be fast", "one two three four five"];

    /// <summary>A stable string hash (not <c>string.GetHashCode</c>, which changes per process): results are deterministic.</summary>
    internal static int Hash(string s) => s.Aggregate(17, (h, c) => unchecked(h * 31 + c)) & 0x7fffffff;

    private static string Weather(string city) =>
        $"{8 + Hash(city) % 20} C, {new[] { "sunny", "cloudy", "rainy", "windy", "clear" }[Hash(city + "w") % 5]}";

    public static readonly ToolSpec[] All =
    [
        new("get_weather", "Weather", "GetWeather", "Gets the current weather for a city.",
            ([Description("The city name")] string city) => Weather(city),
            new Dictionary<string, string[]> { ["city"] = Cities },
            ["What's the weather in {city}?", "How is the weather in {city} today?", "Is it warm in {city} right now?", "Weather for {city}, please."],
            ["It is {result} in {city}.", "The weather in {city}: {result}."]),
        new("get_time", "Clock", "GetTime", "Gets the current local time in a city.",
            ([Description("The city")] string city) => $"{Hash(city) % 24:00}:{Hash(city + "m") % 60:00}",
            new Dictionary<string, string[]> { ["city"] = Cities },
            ["What time is it in {city}?", "Tell me the local time in {city}.", "Current time in {city}?"],
            ["It is {result} in {city}.", "The local time in {city} is {result}."]),
        new("send_email", "Mail", "SendEmail", "Sends an email.",
            ([Description("Recipient address")] string to, [Description("Subject line")] string subject, [Description("Message text")] string body) => $"sent to {to}",
            new Dictionary<string, string[]> { ["to"] = People, ["subject"] = Titles, ["body"] = Phrases },
            ["Email {to} with the subject \"{subject}\" saying \"{body}\".", "Send an email to {to}, subject \"{subject}\", text \"{body}\"."],
            ["Done: the email was {result}.", "I sent the email to {to}."]),
        new("create_event", "Calendar", "CreateEvent", "Adds an event to the calendar.",
            ([Description("Event title")] string title, [Description("The date")] string date) => $"event '{title}' on {date} created",
            new Dictionary<string, string[]> { ["title"] = Titles, ["date"] = Dates },
            ["Add \"{title}\" to my calendar on {date}.", "Put {title} in the calendar for {date}.", "Schedule \"{title}\" on {date}."],
            ["Added \"{title}\" on {date}.", "Your calendar says: {result}."]),
        new("read_file", "Files", "ReadFile", "Reads a text file and returns its contents.",
            ([Description("Path of the file")] string path) => $"(contents of {path}: {Hash(path) % 90 + 10} lines)",
            new Dictionary<string, string[]> { ["path"] = Paths },
            ["Show me the contents of {path}.", "What is in {path}?", "Open {path} and read it."],
            ["Here is {path}: {result}", "{path} reads: {result}"]),
        new("list_directory", "Files", "ListDirectory", "Lists the files in a folder.",
            ([Description("Folder path")] string path) => $"{Hash(path) % 7 + 2} files: main.py, utils.py, notes.md",
            new Dictionary<string, string[]> { ["path"] = Folders },
            ["What files are in {path}?", "List the folder {path}.", "Show me what is inside {path}."],
            ["{path} has {result}.", "In {path}: {result}."]),
        new("search_web", "Search", "SearchWeb", "Searches the web and returns the top result.",
            ([Description("What to search for")] string query) => $"Top result: \"A short guide to {query}\"",
            new Dictionary<string, string[]> { ["query"] = Topics },
            ["Search the web for {query}.", "Look up {query} online.", "Find something about {query} on the web."],
            ["{result}.", "I found this: {result}."]),
        new("add", "Math", "Add", "Adds two integers.",
            ([Description("First number")] int a, [Description("Second number")] int b) => (a + b).ToString(CultureInfo.InvariantCulture),
            new Dictionary<string, string[]> { ["a"] = Nums, ["b"] = Nums },
            ["What is {a} plus {b}?", "Add {a} and {b}.", "Compute {a} + {b}."],
            ["{a} plus {b} is {result}.", "The sum is {result}."]),
        new("multiply", "Math", "Multiply", "Multiplies two integers.",
            ([Description("First factor")] int a, [Description("Second factor")] int b) => (a * b).ToString(CultureInfo.InvariantCulture),
            new Dictionary<string, string[]> { ["a"] = Nums, ["b"] = Nums },
            ["What is {a} times {b}?", "Multiply {a} by {b}.", "Compute {a} * {b}."],
            ["{a} times {b} is {result}.", "The product is {result}."]),
        new("get_stock_price", "Finance", "GetStockPrice", "Gets the latest price of a stock.",
            ([Description("Ticker symbol")] string symbol) => $"{Hash(symbol) % 400 + 20}.{Hash(symbol + "c") % 100:00} USD",
            new Dictionary<string, string[]> { ["symbol"] = Symbols },
            ["What's the price of {symbol}?", "How much is {symbol} stock right now?", "Get me the latest {symbol} quote."],
            ["{symbol} trades at {result}.", "The latest price of {symbol} is {result}."]),
        new("set_timer", "Clock", "SetTimer", "Starts a countdown timer.",
            ([Description("Length in minutes")] int minutes) => $"timer set for {minutes} minutes",
            new Dictionary<string, string[]> { ["minutes"] = ["5", "10", "15", "25", "45"] },
            ["Set a timer for {minutes} minutes.", "Start a {minutes} minute timer.", "Remind me in {minutes} minutes."],
            ["OK, {result}.", "Your timer is running: {minutes} minutes."]),
        new("play_music", "Music", "PlayMusic", "Plays a song.",
            ([Description("Song title")] string song) => $"now playing {song}",
            new Dictionary<string, string[]> { ["song"] = Songs },
            ["Play {song}.", "Put on {song}, please.", "I want to hear {song}."],
            ["Enjoy: {result}.", "Playing {song} now."]),
        new("turn_on_lights", "Home", "TurnOnLights", "Turns on the lights in a room.",
            ([Description("The room")] string room) => $"lights on in the {room}",
            new Dictionary<string, string[]> { ["room"] = Rooms },
            ["Turn on the lights in the {room}.", "Switch the {room} lights on.", "Lights on in the {room}, please."],
            ["Done, {result}.", "The {room} lights are on."]),
        new("set_thermostat", "Home", "SetThermostat", "Sets the thermostat to a temperature in degrees Celsius.",
            ([Description("Target temperature")] int temperature) => $"thermostat set to {temperature} C",
            new Dictionary<string, string[]> { ["temperature"] = ["18", "19", "20", "21", "22", "23"] },
            ["Set the heating to {temperature} degrees.", "Make it {temperature} degrees in here.", "Thermostat to {temperature}, please."],
            ["OK, {result}.", "The thermostat is now at {temperature} degrees."]),
        new("get_user", "Users", "GetUser", "Looks up a user by id.",
            ([Description("The user id")] int id) => $"user {id}: {new[] { "Ada Lovelace", "Alan Turing", "Grace Hopper", "Linus Torvalds" }[id % 4]}",
            new Dictionary<string, string[]> { ["id"] = ["7", "12", "42", "101", "256", "999"] },
            ["Look up user {id}.", "Who is user {id}?", "Find the user with id {id}."],
            ["Found {result}.", "User {id} is {result}."]),
        new("create_issue", "GitHub", "CreateIssue", "Opens an issue in the project's tracker.",
            ([Description("Issue title")] string title) => $"issue #{Hash(title) % 900 + 100} opened",
            new Dictionary<string, string[]> { ["title"] = ["Login fails on Safari", "Crash on empty input", "Add dark mode", "Typo in README", "Slow startup"] },
            ["Open an issue titled \"{title}\".", "File a bug: \"{title}\".", "Create an issue called \"{title}\"."],
            ["Done: {result}.", "I opened it: {result}."]),
        new("run_tests", "Dev", "RunTests", "Runs the test suite in a folder.",
            ([Description("Folder with tests")] string path) => $"{Hash(path) % 40 + 5} passed, {Hash(path) % 3} failed",
            new Dictionary<string, string[]> { ["path"] = Folders },
            ["Run the tests in {path}.", "Can you run the test suite under {path}?", "Execute the tests in {path}."],
            ["Test results for {path}: {result}.", "{result}."]),
        new("get_distance", "Maps", "GetDistance", "Gets the driving distance between two cities in km.",
            ([Description("Start city")] string origin, [Description("End city")] string destination) => $"{Hash(origin + destination) % 3000 + 50} km",
            new Dictionary<string, string[]> { ["origin"] = Cities, ["destination"] = Cities },
            ["How far is it from {origin} to {destination}?", "Distance from {origin} to {destination}?", "How many km between {origin} and {destination}?"],
            ["It is {result} from {origin} to {destination}.", "The distance is {result}."]),
        new("define_word", "Dictionary", "DefineWord", "Looks up the meaning of an English word.",
            ([Description("The word")] string word) => $"{word}: a word with {word.Length} letters and a precise meaning",
            new Dictionary<string, string[]> { ["word"] = Words },
            ["What does \"{word}\" mean?", "Define {word}.", "Look up the word {word}."],
            ["{result}.", "Here is the definition: {result}."]),
        new("get_population", "Geo", "GetPopulation", "Gets the population of a country.",
            ([Description("Country name")] string country) => $"{Hash(country) % 200 + 3} million",
            new Dictionary<string, string[]> { ["country"] = Countries },
            ["What is the population of {country}?", "How many people live in {country}?"],
            ["{country} has about {result} people.", "The population of {country} is {result}."]),
        new("translate", "Language", "Translate", "Translates a short text into another language.",
            ([Description("Text to translate")] string text, [Description("Target language")] string language) => $"[{language}] {text}",
            new Dictionary<string, string[]> { ["text"] = Phrases, ["language"] = Languages },
            ["Translate \"{text}\" to {language}.", "How do you say \"{text}\" in {language}?"],
            ["In {language}: {result}.", "Translation: {result}."]),
        new("convert_currency", "Finance", "ConvertCurrency", "Converts an amount of money between currencies.",
            ([Description("Amount")] int amount, [Description("From currency code")] string from, [Description("To currency code")] string to) =>
                $"{amount * (Hash(from + to) % 150 + 50) / 100} {to}",
            new Dictionary<string, string[]> { ["amount"] = Nums, ["from"] = Currencies, ["to"] = Currencies },
            ["Convert {amount} {from} to {to}.", "How much is {amount} {from} in {to}?"],
            ["{amount} {from} is {result}.", "That is {result}."]),
        new("roll_dice", "Games", "RollDice", "Rolls a die with the given number of sides.",
            ([Description("Number of sides")] int sides) => $"rolled a {Hash(sides.ToString(CultureInfo.InvariantCulture)) % sides + 1}",
            new Dictionary<string, string[]> { ["sides"] = ["6", "8", "10", "12", "20"] },
            ["Roll a {sides}-sided die.", "Throw a d{sides} for me."],
            ["You {result}.", "The die shows: {result}."]),
        new("count_words", "Text", "CountWords", "Counts the words in a text.",
            ([Description("The text")] string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length.ToString(CultureInfo.InvariantCulture),
            new Dictionary<string, string[]> { ["text"] = Texts },
            ["How many words are in \"{text}\"?", "Count the words of \"{text}\"."],
            ["\"{text}\" has {result} words.", "It has {result} words."]),
        new("book_table", "Restaurants", "BookTable", "Books a restaurant table.",
            ([Description("Restaurant name")] string restaurant, [Description("Number of people")] int people) => $"table for {people} at {restaurant} booked",
            new Dictionary<string, string[]> { ["restaurant"] = ["Luigi's", "Sakura", "The Green Fork", "Casa Lima", "Blue Door"], ["people"] = ["2", "3", "4", "6"] },
            ["Book a table for {people} at {restaurant}.", "Reserve {restaurant} for {people} people."],
            ["Booked: {result}.", "Your table for {people} at {restaurant} is reserved."]),
    ];

    /// <summary>Tools never used in training: tool tasks on them measure whether the model reads the declarations.</summary>
    public static readonly string[] HeldOut = ["get_population", "translate", "get_distance", "roll_dice", "book_table"];
}
