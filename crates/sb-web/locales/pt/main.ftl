# Switchboard UI — português (Brasil).

## Shared
action-save = Salvar
action-cancel = Cancelar
action-create = Criar
action-edit = Editar
action-delete = Excluir
action-add = Adicionar
action-apply = Aplicar
action-clear = Limpar
action-back = Voltar
page-prev = Anterior
page-next = Próxima
page-of = Página { $page }
count-contacts = { $count ->
    [one] { $count } contato
   *[other] { $count } contatos
}

## Languages
lang-switch = Idioma
lang-en = English
lang-es = Español
lang-pt = Português
lang-hu = Magyar

## Navigation and header
nav-skip = Ir para o conteúdo
nav-menu = Menu
nav-label = Seções
nav-dashboard = Início
nav-leads = Negócios
nav-contacts = Contatos
nav-companies = Empresas
nav-tasks = Tarefas
nav-incoming = Leads de entrada
nav-settings = Configurações
nav-users = Usuários e permissões
nav-pipelines = Funis
nav-fields = Campos personalizados
nav-sign-out = Sair
search-label = Buscar contatos, empresas e negócios
search-placeholder = Nome, e-mail ou telefone
search-button = Buscar

## Sign-in
login-title = Entrar
login-email = E-mail
login-password = Senha
login-submit = Entrar
login-wrong = E-mail ou senha incorretos.
login-expired = O formulário expirou. Tente novamente.
login-throttled = { $minutes ->
    [one] Muitas tentativas sem sucesso. Tente novamente em um minuto.
   *[other] Muitas tentativas sem sucesso. Tente novamente em { $minutes } minutos.
}

## Dashboard
dashboard-title = Hoje
dashboard-welcome = Bem-vindo ao Switchboard.

## Profile
profile-title = Meu perfil
profile-language = Idioma
profile-password = Senha
profile-current-password = Senha atual
profile-new-password = Nova senha (pelo menos 8 caracteres)
profile-confirm-password = Repita a nova senha
profile-change-password = Alterar senha
profile-password-mismatch = As duas novas senhas são diferentes.
profile-password-saved = Sua senha foi alterada. Suas outras sessões foram encerradas.

## Errors
error-back-home = Voltar ao início
error-not-found-title = Não encontrado
error-not-found = Este registro não existe ou você não tem acesso a ele.
error-no-page = Não há página neste endereço.
error-forbidden-title = Não permitido
error-forbidden = Suas permissões não permitem isso. Um administrador pode alterá-las.
error-invalid-title = Verifique os dados
error-conflict-title = Alterado enquanto isso
error-conflict = Alguém alterou isto ao mesmo tempo. Recarregue a página e tente novamente.
error-upstream-title = O serviço de telefonia recusou
error-internal-title = Algo deu errado
error-internal = Algo deu errado do nosso lado. Tente novamente; se persistir, o administrador encontrará os detalhes no log do servidor.
error-csrf-title = Solicitação recusada
error-csrf = Este formulário está desatualizado ou veio de outro site. Recarregue a página e tente novamente.
error-too-large-title = Grande demais
error-too-large = O que foi enviado é maior do que o servidor aceita. Encurte o texto ou envie menos de cada vez.
error-uri-too-long-title = Endereço longo demais
error-uri-too-long = Este endereço é mais longo do que o servidor aceita. Encurte a pesquisa ou os filtros.
error-RequiredFilled = Este campo é obrigatório.
error-InvalidType = Este valor tem o tipo errado.
error-NotSupportedChoice = Escolha um dos valores oferecidos.
error-InvalidValue = Este valor não é válido.
error-InvalidLength = Este valor é longo ou curto demais.
error-InvalidEmail = Informe um e-mail válido.
error-NotFound = Este registro não existe.
error-WrongPassword = A senha atual está errada.
error-TooShort = Use pelo menos 8 caracteres.
error-NotEditable = Isto não pode ser alterado aqui.
