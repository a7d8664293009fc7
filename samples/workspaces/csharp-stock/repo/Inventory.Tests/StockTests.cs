using Inventory;

public class StockTests
{
    [Fact]
    public void Added_units_are_counted()
    {
        var stock = new Stock();
        stock.Add("apple", 3);
        stock.Add("apple", 2);
        Assert.Equal(5, stock.Count("apple"));
    }

    [Fact]
    public void Removing_more_than_is_in_stock_fails_and_changes_nothing()
    {
        var stock = new Stock();
        stock.Add("pear", 2);
        Assert.False(stock.TryRemove("pear", 3));
        Assert.Equal(2, stock.Count("pear"));
    }
}
