# Páginas de empresas (ui/companies.rs; as páginas estão em ui/cards.rs).
companies-title = Empresas
companies-new = Nova empresa
companies-edit = Editar empresa
companies-empty = Ainda não há empresas. Crie a primeira.
companies-delete-confirm = Excluir esta empresa? Ela sai das listas, da busca e da identificação de chamadas.
