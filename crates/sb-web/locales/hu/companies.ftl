# Cégek oldalai (ui/companies.rs; maguk az oldalak az ui/cards.rs-ben).
companies-title = Cégek
companies-new = Új cég
companies-edit = Cég szerkesztése
companies-empty = Még nincs cég. Hozza létre az elsőt.
companies-delete-confirm = Törlöd ezt a céget? Eltűnik a listákból, a keresésből és a hívóazonosításból.
