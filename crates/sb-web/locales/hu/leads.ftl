## Értékesítések: tábla, lista és adatlap
leads-board-title = Értékesítési folyamat
leads-board-link = Tábla
leads-board-help = Húzz egy kártyát egy másik szakaszba, vagy nyisd meg a kártyán az „Áthelyezés” menüt a szakasz kiválasztásához.
leads-list-link = Lista
leads-list-title = Értékesítések
leads-pipeline = Folyamat
leads-pipeline-show = Mutasd
leads-incoming-waiting = { $count ->
    [one] Egy bejövő érdeklődés vár a beérkezett üzenetek között.
   *[other] { $count } bejövő érdeklődés vár a beérkezett üzenetek között.
}
leads-count = { $count ->
    [one] { $count } értékesítés
   *[other] { $count } értékesítés
}
leads-column-empty = Még nincs itt értékesítés. Adj hozzá egyet lent, vagy húzz ide egyet.
leads-column-more = A szakasz összes értékesítése
leads-move = Áthelyezés
leads-move-label = { $name } szakasza
leads-move-button = Áthelyezés
leads-move-invalid = Válassz egy értékesítést és egy szakaszt.
leads-quick-name = Az új értékesítés neve
leads-quick-price = Összeg
leads-quick-add = Hozzáadás
leads-unnamed = { $id }. számú értékesítés
leads-error-price = Az összeget számként add meg, például 1500 vagy 1500,50.
leads-filters = Értékesítések szűrése
leads-filter-search = Keresés
leads-filter-stage = Szakasz
leads-filter-responsible = Felelős
leads-filter-tag = Címke
leads-filter-any = Bármelyik
leads-filter-created-from = Létrehozva ettől
leads-filter-created-to = Létrehozva eddig
leads-filter-price-from = Összeg legalább
leads-filter-price-to = Összeg legfeljebb
leads-sort = Rendezés
leads-sort-newest = Legújabb elöl
leads-sort-oldest = Legrégebbi elöl
leads-sort-updated = Nemrég módosított
leads-sort-id = Sorszám
leads-list-empty = Még nincs értékesítés. Add hozzá az elsőt a táblán.
leads-list-none-found = Egy értékesítés sem felel meg a szűrőknek. Módosítsd vagy töröld őket.
leads-pages = Oldalak
leads-col-name = Név
leads-col-stage = Szakasz
leads-col-price = Összeg
leads-col-contact = Kapcsolat
leads-col-responsible = Felelős
leads-col-tags = Címkék
leads-col-created = Létrehozva
leads-updated = Módosítva
leads-closed = Lezárva
leads-card-about = Adatok
leads-card-links = Kapcsolatok és cég
leads-contacts = Kapcsolatok
leads-contact = Kapcsolat
leads-company = Cég
leads-no-contacts = Még nincs kapcsolat hozzárendelve. Keress egyet lent a hozzárendeléshez.
leads-no-company = Még nincs cég hozzárendelve.
leads-main-contact = fő
leads-unlink = Leválasztás
leads-unlink-named = { $name } leválasztása
leads-link = Hozzárendelés
leads-link-named = { $name } hozzárendelése
leads-link-invalid = Válassz egy kapcsolatot vagy céget a hozzárendeléshez.
leads-find-link = Kapcsolat vagy cég keresése hozzárendeléshez
leads-find-none = Nincs találat. Próbálj másik nevet, e-mailt vagy telefonszámot.
leads-edit = Értékesítés szerkesztése
leads-tags-hint = A címkéket vesszővel válaszd el.
leads-saved = Az értékesítés mentve.
leads-delete-confirm = Törlöd ezt az értékesítést?
leads-feed = Előzmények
