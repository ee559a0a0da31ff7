# A globális keresés oldala (ui/search.rs); a fejléc keresőmezőjének szövegei a main.ftl-ben vannak.
search-title = Keresés
search-start = Írjon be egy nevet, e-mail-címet vagy telefonszámot a fenti keresőmezőbe.
search-nothing = Nincs találat erre: „{ $query }”.
search-hint = A telefonszámokat bármilyen formában megtaláljuk: országkóddal vagy anélkül, szóközökkel vagy kötőjelekkel.
search-found = { $count ->
    [one] { $count } találat
   *[other] { $count } találat
}
search-contacts = Kapcsolatok
search-companies = Cégek
search-leads = Értékesítések
search-more = Összes megjelenítése a listában
