# The global search page (ui/search.rs); the header box's own strings are in main.ftl.
search-title = Search
search-start = Type a name, an e-mail or a phone number in the search box above.
search-nothing = Nothing found for “{ $query }”.
search-hint = Phone numbers are found in any format: with or without the country code, spaces or dashes.
search-found = { $count ->
    [one] { $count } result
   *[other] { $count } results
}
search-contacts = Contacts
search-companies = Companies
search-leads = Leads
search-more = Show all in the list
