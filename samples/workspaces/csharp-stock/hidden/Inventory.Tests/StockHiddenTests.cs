using Inventory;

public class StockHiddenTests
{
    [Fact]
    public void Removing_everything_leaves_zero()
    {
        var stock = new Stock();
        stock.Add("fig", 4);
        Assert.True(stock.TryRemove("fig", 4));
        Assert.Equal(0, stock.Count("fig"));
    }

    [Fact]
    public void An_unknown_sku_cannot_be_removed()
    {
        Assert.False(new Stock().TryRemove("plum", 1));
    }

    [Fact]
    public void Removing_nothing_or_less_is_an_error()
    {
        var stock = new Stock();
        stock.Add("kiwi", 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => stock.TryRemove("kiwi", 0));
    }
}
